//! One module per subcommand: each orchestrates the library and holds no logic of its own.

pub mod demo;
pub mod export;
pub mod init;
pub mod review;
pub mod scan;
pub mod show;
pub mod sign;
pub mod verify;
