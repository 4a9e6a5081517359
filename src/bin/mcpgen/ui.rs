//! What the command line prints and how: diagnostics rendered with their source line, colour only
//! where wanted, `--quiet` and `--verbose`, JSON for machines, and a progress bar on a terminal.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mcpgen::diag::Diagnostic;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How output is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// For people.
    #[default]
    Human,
    /// One JSON document on stdout, for editors and CI.
    Json,
}

/// How much to print, and how.
#[derive(Debug)]
pub struct Ui {
    /// Colour diagnostics.
    pub color: bool,
    /// Print only errors and what was asked for.
    pub quiet: bool,
    /// Print each file written and more.
    pub verbose: bool,
    /// Print JSON on stdout instead of text.
    pub json: bool,
    /// The progress bar on screen, which lines printed meanwhile go above.
    bar: RefCell<Option<ProgressBar>>,
}

impl Ui {
    /// The settings of one run: `NO_COLOR` (any value but empty) turns colour off under `auto`.
    pub fn new(color: ColorChoice, quiet: bool, verbose: bool, format: Format) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Self { color, quiet, verbose, json: format == Format::Json, bar: RefCell::new(None) }
    }

    /// Prints with the progress bar, if any, off the screen.
    fn above_bar(&self, print: impl FnOnce()) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// A line of progress or outcome on stdout, unless quiet or printing JSON.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet && !self.json {
            self.above_bar(|| println!("{}", line.as_ref()));
        }
    }

    /// A detail printed with `--verbose` only.
    pub fn detail(&self, line: impl AsRef<str>) {
        if self.verbose && !self.json {
            self.above_bar(|| println!("{}", line.as_ref()));
        }
    }

    /// A warning on stderr, unless quiet.
    pub fn warn(&self, message: impl AsRef<str>) {
        if !self.quiet {
            self.above_bar(|| eprintln!("{}: {}", self.paint("warning", "33"), message.as_ref()));
        }
    }

    /// An error on stderr, always.
    pub fn error(&self, message: impl AsRef<str>) {
        self.above_bar(|| eprintln!("{}: {}", self.paint("error", "31"), message.as_ref()));
    }

    /// Diagnostics on stderr, with their source lines (warnings not when quiet). In JSON mode the
    /// caller puts them in its document instead.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        self.diagnostics_of(diagnostics, BTreeMap::new());
    }

    /// Diagnostics of documents that are not on disk as they were read: their texts by file name.
    pub fn diagnostics_of(&self, diagnostics: &[Diagnostic], texts: BTreeMap<&str, String>) {
        if self.json {
            return;
        }
        let mut sources: BTreeMap<&str, Option<String>> =
            texts.into_iter().map(|(file, text)| (file, Some(text))).collect();
        for diagnostic in diagnostics.iter().filter(|d| d.is_error() || !self.quiet) {
            let source = sources
                .entry(diagnostic.file.as_str())
                .or_insert_with(|| std::fs::read_to_string(&diagnostic.file).ok())
                .as_deref();
            let text = mcpgen::render::render(diagnostic, source, self.color);
            self.above_bar(|| eprintln!("{text}\n"));
        }
    }

    /// A progress bar over `steps` steps, drawn on a terminal only, and only once the work has
    /// taken a second.
    pub fn progress(&self, steps: usize) -> Progress<'_> {
        let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} ({elapsed})") {
            bar.set_style(style);
        }
        if !self.quiet && !self.json && std::io::stderr().is_terminal() {
            let shown = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                if !shown.is_finished() {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                    shown.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        self.bar.replace(Some(bar.clone()));
        Progress { bar, ui: self }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color { format!("\u{1b}[1;{code}m{text}\u{1b}[0m") } else { text.to_string() }
    }
}

/// A progress bar that prints nothing until it has been running for a second.
pub struct Progress<'ui> {
    bar: ProgressBar,
    ui: &'ui Ui,
}

impl Progress<'_> {
    /// Starts the next step, named `message`.
    pub fn step(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// Marks a step done.
    pub fn done(&self) {
        self.bar.inc(1);
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        self.ui.bar.replace(None);
    }
}
