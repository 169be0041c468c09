//! The review screen: state and `update` (pure), `view` (drawing only), keymap, theme,
//! highlighting, and the terminal. Nothing here calls git: what the screen needs from git
//! arrives as model values and loader events, and what it asks of git goes through `Host`.

pub mod action;
pub mod app;
pub mod colors;
pub mod highlight;
pub mod inbox;
pub mod keymap;
pub mod render_line;
pub mod run;
pub mod terminal;
pub mod textbox;
pub mod theme;
pub mod update;
pub mod view;
pub mod wordiff;

pub use run::{prepare_frame, run, Host, Job, RunOptions};
