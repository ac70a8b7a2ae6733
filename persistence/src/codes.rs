//! Enumeration columns decoded straight into their domain type.

use std::str::FromStr;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Text;
use domain::enums::UnknownCode;

/// A text column holding an enumeration's code, parsed from the row's own bytes. Read as a
/// `String` first, each such column cost an allocation and a copy: about 200 on a public list
/// page of 50 documents (issue 11). An unknown code fails the row's decoding, as the schema and
/// the code then disagree and no caller can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub(crate) struct Code<T>(pub T);

impl<T: FromStr<Err = UnknownCode>> FromSql<Text, Pg> for Code<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let code = std::str::from_utf8(value.as_bytes())?;
        Ok(Code(code.parse()?))
    }
}

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::sql_types::Nullable;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    use domain::documents::{DocumentCategory, Validity};

    use super::*;
    use crate::test_databases::TestDatabase;

    async fn read<T: FromStr<Err = UnknownCode> + Send + 'static>(
        conn: &mut AsyncPgConnection,
        literal: &str,
    ) -> diesel::QueryResult<Code<T>> {
        diesel::select(sql::<Text>(literal)).get_result::<Code<T>>(conn).await
    }

    #[tokio::test]
    async fn a_code_column_reads_as_its_enumeration_and_an_unknown_code_fails_the_row() {
        let db = TestDatabase::create_empty().await;
        let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();

        assert_eq!(read::<Validity>(&mut conn, "'repealed'").await.unwrap(), Code(Validity::Repealed));
        assert_eq!(read::<DocumentCategory>(&mut conn, "'service'").await.unwrap(), Code(DocumentCategory::Service));

        let unknown = read::<Validity>(&mut conn, "'abolished'").await.unwrap_err();
        assert!(matches!(unknown, diesel::result::Error::DeserializationError(_)), "{unknown:?}");
        let mut causes = Vec::new();
        let mut cause: Option<&dyn std::error::Error> = Some(&unknown);
        while let Some(error) = cause {
            causes.push(error.to_string());
            cause = error.source();
        }
        assert!(causes.iter().any(|c| c == "`abolished` is not a valid validity"), "{causes:?}");
        // A code is matched exactly, as the CHECK constraints write it.
        assert!(read::<Validity>(&mut conn, "'Repealed'").await.is_err());

        let absent = diesel::select(sql::<Nullable<Text>>("NULL"))
            .get_result::<Option<Code<Validity>>>(&mut conn)
            .await
            .unwrap();
        assert_eq!(absent, None);
    }
}
