//! cwctl
