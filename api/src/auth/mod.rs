pub mod keys;
pub mod principal;
pub mod secrets;
