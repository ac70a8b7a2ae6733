//! What proptest chooses for a world. Every state and attribute of every kind of record is always
//! present (the fixed lists below); proptest chooses everything else about each record — its
//! organization, category, whether it is a policy, which files and comments and releases it has,
//! how comments are moderated, which personal data an applicant gives — and the page size the
//! walk reads lists with, and the filter combinations it tries on top of each single filter.

use proptest::collection::vec;
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    Missing,
    PublicRelease,
    Proactive,
    OnRequest,
    NotPublic,
}

impl Disclosure {
    pub fn code(self) -> Option<&'static str> {
        match self {
            Disclosure::Missing => None,
            Disclosure::PublicRelease => Some("public_release"),
            Disclosure::Proactive => Some("proactive"),
            Disclosure::OnRequest => Some("on_request"),
            Disclosure::NotPublic => Some("not_public"),
        }
    }

    pub fn withheld(self) -> bool {
        matches!(self, Disclosure::OnRequest | Disclosure::NotPublic)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocTarget {
    Draft,
    /// Returned: automatically for a failed rule, or (public attributes) a government-level
    /// document returned by the government office with written reasons.
    Returned,
    Submitted,
    Approved,
    /// Approved, its confidentiality review failed.
    SecrecyRefused,
    /// Approved, its confidentiality review passed, not yet published.
    SecrecyPassed,
    /// Published, then valid, repealed or expired.
    Published(&'static str),
    Filed,
    /// Filed, converted to proactive by a self-inspection, reviewed and published.
    Converted,
}

impl DocTarget {
    pub fn published(self) -> bool {
        matches!(self, DocTarget::Published(_) | DocTarget::Converted)
    }
}

/// Every attribute crossed with every state it can reach.
pub fn document_combinations() -> Vec<(Disclosure, DocTarget)> {
    use DocTarget::*;
    let mut out = vec![(Disclosure::Missing, Draft), (Disclosure::Missing, Returned)];
    for public in [Disclosure::PublicRelease, Disclosure::Proactive] {
        for target in [
            Draft,
            Returned,
            Submitted,
            Approved,
            SecrecyRefused,
            SecrecyPassed,
            Published("valid"),
            Published("repealed"),
            Published("expired"),
        ] {
            out.push((public, target));
        }
    }
    for withheld in [Disclosure::OnRequest, Disclosure::NotPublic] {
        for target in [Draft, Returned, Submitted, Approved, Filed, Converted] {
            out.push((withheld, target));
        }
    }
    out
}

/// The states of a follow-up interpretation of a published policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    Draft,
    Signed,
    Reviewed,
    Published,
}

pub const FOLLOW_UPS: [FollowUp; 4] = [FollowUp::Draft, FollowUp::Signed, FollowUp::Reviewed, FollowUp::Published];

#[derive(Debug, Clone)]
pub struct DocBits {
    pub category: usize,
    pub is_policy: bool,
    /// Department 0, 1 (first county) or 2 (second county).
    pub org: usize,
    pub attachment: bool,
    /// A draft policy document's package is signed already.
    pub package_signed: bool,
    pub package_attachment: bool,
    pub follow_ups: Vec<FollowUp>,
}

fn doc_bits() -> impl Strategy<Value = DocBits> {
    (0..5usize, any::<bool>(), 0..3usize, any::<bool>(), any::<bool>(), any::<bool>(), vec(0..4usize, 0..3)).prop_map(
        |(category, is_policy, org, attachment, package_signed, package_attachment, follow_ups)| DocBits {
            category,
            is_policy,
            org,
            attachment,
            package_signed,
            package_attachment,
            follow_ups: follow_ups.into_iter().map(|f| FOLLOW_UPS[f]).collect(),
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTarget {
    ReceivedOnline,
    ReceivedInPerson,
    CorrectionRequested,
    InProgress,
    PausedConsultation,
    PausedFee,
    Replied,
    Archived,
    Closed,
}

pub const REQUESTS: [RequestTarget; 9] = [
    RequestTarget::ReceivedOnline,
    RequestTarget::ReceivedInPerson,
    RequestTarget::CorrectionRequested,
    RequestTarget::InProgress,
    RequestTarget::PausedConsultation,
    RequestTarget::PausedFee,
    RequestTarget::Replied,
    RequestTarget::Archived,
    RequestTarget::Closed,
];

#[derive(Debug, Clone)]
pub struct RequestBits {
    /// 0: a natural person; 1–5: the legal-person applicant types.
    pub applicant_type: usize,
    pub email: bool,
    pub address: bool,
    pub document_number: bool,
    /// A file for the reply is uploaded (before the reply, where there is none).
    pub reply_file: bool,
    pub org: usize,
}

fn request_bits() -> impl Strategy<Value = RequestBits> {
    (0..6usize, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), 0..3usize).prop_map(
        |(applicant_type, email, address, document_number, reply_file, org)| RequestBits {
            applicant_type,
            email,
            address,
            document_number,
            reply_file,
            org,
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationTarget {
    Draft,
    /// Opened, its period not begun.
    Upcoming,
    Open,
    Closed,
    ResultsPublished,
}

pub const CONSULTATIONS: [ConsultationTarget; 5] = [
    ConsultationTarget::Draft,
    ConsultationTarget::Upcoming,
    ConsultationTarget::Open,
    ConsultationTarget::Closed,
    ConsultationTarget::ResultsPublished,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    None,
    Hidden,
    Redacted,
    Withheld,
}

#[derive(Debug, Clone)]
pub struct CommentBits {
    pub named: bool,
    pub publish_name: bool,
    pub contact: bool,
    pub moderation: Moderation,
    /// 0: no result yet; 1–3: adopted, partially adopted, not adopted.
    pub result: usize,
}

#[derive(Debug, Clone)]
pub struct ConsultationBits {
    pub org: usize,
    pub attachment: bool,
    pub comments: Vec<CommentBits>,
}

fn consultation_bits() -> impl Strategy<Value = ConsultationBits> {
    let comment = (any::<bool>(), any::<bool>(), any::<bool>(), 0..4usize, 0..4usize).prop_map(
        |(named, publish_name, contact, moderation, result)| CommentBits {
            named,
            publish_name,
            contact,
            moderation: [Moderation::None, Moderation::Hidden, Moderation::Redacted, Moderation::Withheld][moderation],
            result,
        },
    );
    (0..3usize, any::<bool>(), vec(comment, 1..4)).prop_map(|(org, attachment, comments)| ConsultationBits {
        org,
        attachment,
        comments,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentTarget {
    Collected,
    Consulted,
    Assessed,
    Responded,
    Evaluated,
}

pub const INCIDENTS: [IncidentTarget; 5] = [
    IncidentTarget::Collected,
    IncidentTarget::Consulted,
    IncidentTarget::Assessed,
    IncidentTarget::Responded,
    IncidentTarget::Evaluated,
];

#[derive(Debug, Clone)]
pub struct IncidentBits {
    pub org: usize,
    /// Index into the six handling classes.
    pub class: usize,
    /// Releases beyond the one a response needs.
    pub releases: usize,
    pub release_file: bool,
    /// 0: no sudden event; 1–4: its level.
    pub level: usize,
    pub source: usize,
}

fn incident_bits() -> impl Strategy<Value = IncidentBits> {
    (0..3usize, 0..6usize, 0..3usize, any::<bool>(), 0..5usize, 0..5usize).prop_map(
        |(org, class, releases, release_file, level, source)| IncidentBits {
            org,
            class,
            releases,
            release_file,
            level,
            source,
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageTarget {
    Received,
    RepliedPrivate,
    RepliedConsenting,
    Published,
    PublishedRedacted,
    Withdrawn,
}

pub const MESSAGES: [MessageTarget; 6] = [
    MessageTarget::Received,
    MessageTarget::RepliedPrivate,
    MessageTarget::RepliedConsenting,
    MessageTarget::Published,
    MessageTarget::PublishedRedacted,
    MessageTarget::Withdrawn,
];

#[derive(Debug, Clone)]
pub struct MessageBits {
    pub org: usize,
    pub named: bool,
    pub contact: bool,
}

fn message_bits() -> impl Strategy<Value = MessageBits> {
    (0..3usize, any::<bool>(), any::<bool>()).prop_map(|(org, named, contact)| MessageBits { org, named, contact })
}

/// A combination of list filters: organization (index into the world's organizations, or none),
/// category (index, or none), and whether to filter by this year.
#[derive(Debug, Clone)]
pub struct Filters {
    pub org: Option<usize>,
    pub category: Option<usize>,
    pub this_year: bool,
}

fn filters() -> impl Strategy<Value = Filters> {
    (proptest::option::of(0..7usize), proptest::option::of(0..5usize), any::<bool>())
        .prop_map(|(org, category, this_year)| Filters { org, category, this_year })
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// The page size the walk reads lists with (small, so that cursors are followed).
    pub page_limit: u32,
    pub documents: Vec<(Disclosure, DocTarget, DocBits)>,
    pub requests: Vec<(RequestTarget, RequestBits)>,
    pub consultations: Vec<(ConsultationTarget, ConsultationBits)>,
    pub incidents: Vec<(IncidentTarget, IncidentBits)>,
    pub messages: Vec<(MessageTarget, MessageBits)>,
    /// Registrations of the open day that stays and of the one cancelled.
    pub registrations: (usize, usize),
    pub filter_combinations: Vec<Filters>,
}

pub fn spec() -> impl Strategy<Value = Spec> {
    let documents = document_combinations();
    let n = documents.len();
    (
        1..4u32,
        vec(doc_bits(), n),
        vec(request_bits(), REQUESTS.len()),
        vec(consultation_bits(), CONSULTATIONS.len()),
        vec(incident_bits(), INCIDENTS.len()),
        vec(message_bits(), MESSAGES.len()),
        (1..3usize, 0..3usize),
        vec(filters(), 3..6),
        vec((0..n, doc_bits()), 0..10),
    )
        .prop_map(
            move |(page_limit, docs, requests, consultations, incidents, messages, registrations, combos, extra)| {
                let mut documents: Vec<(Disclosure, DocTarget, DocBits)> =
                    documents.iter().zip(docs).map(|((d, t), b)| (*d, *t, b)).collect();
                // Further documents of combinations proptest chose.
                for (k, bits) in extra {
                    let (d, t) = (documents[k].0, documents[k].1);
                    documents.push((d, t, bits));
                }
                // Whatever else proptest chose, an interpretation in every state and files on public
                // and non-public documents and packages: a published proactive policy document with
                // a follow-up in every state, policy documents at each step before.
                let mut force = |d: Disclosure, t: DocTarget, change: &dyn Fn(&mut DocBits)| {
                    let doc = documents.iter_mut().find(|(dd, tt, _)| *dd == d && *tt == t).unwrap();
                    change(&mut doc.2);
                };
                force(Disclosure::Proactive, DocTarget::Published("valid"), &|b| {
                    b.is_policy = true;
                    b.follow_ups = FOLLOW_UPS.to_vec();
                    b.attachment = true;
                    b.package_attachment = true;
                });
                force(Disclosure::Proactive, DocTarget::Draft, &|b| {
                    b.is_policy = true;
                    b.package_signed = false;
                    b.attachment = true;
                    b.package_attachment = true;
                });
                force(Disclosure::PublicRelease, DocTarget::Draft, &|b| {
                    b.is_policy = true;
                    b.package_signed = true;
                });
                force(Disclosure::Proactive, DocTarget::Submitted, &|b| b.is_policy = true);
                force(Disclosure::Proactive, DocTarget::SecrecyPassed, &|b| b.is_policy = true);
                force(Disclosure::OnRequest, DocTarget::Filed, &|b| {
                    b.is_policy = true;
                    b.attachment = true;
                });
                // Some comments in every kind of moderation, named and agreeing to publish the name;
                // a reply with a file; a release with a file.
                let mut consultations: Vec<(ConsultationTarget, ConsultationBits)> =
                    CONSULTATIONS.iter().copied().zip(consultations).collect();
                for (target, bits) in &mut consultations {
                    bits.attachment |= matches!(target, ConsultationTarget::Draft | ConsultationTarget::Open);
                    if matches!(target, ConsultationTarget::Open | ConsultationTarget::ResultsPublished) {
                        for moderation in
                            [Moderation::None, Moderation::Hidden, Moderation::Redacted, Moderation::Withheld]
                        {
                            bits.comments.push(CommentBits {
                                named: true,
                                publish_name: true,
                                contact: true,
                                moderation,
                                result: 2,
                            });
                        }
                    }
                }
                let mut requests: Vec<(RequestTarget, RequestBits)> = REQUESTS.iter().copied().zip(requests).collect();
                for (target, bits) in &mut requests {
                    bits.reply_file |= *target == RequestTarget::Replied;
                }
                let mut incidents: Vec<(IncidentTarget, IncidentBits)> =
                    INCIDENTS.iter().copied().zip(incidents).collect();
                incidents[0].1.release_file = true;
                incidents[0].1.releases = incidents[0].1.releases.max(1);
                Spec {
                    page_limit,
                    documents,
                    requests,
                    consultations,
                    incidents,
                    messages: MESSAGES.iter().copied().zip(messages).collect(),
                    registrations,
                    filter_combinations: combos,
                }
            },
        )
}
