//! Progress of long commands on stderr: a bar on a terminal, plain `done/total` lines
//! otherwise (so logs of scripted runs stay readable).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress reporter over `total` steps.
#[derive(Debug)]
pub enum Progress {
    /// An interactive bar.
    Bar(ProgressBar),
    /// Plain lines, one every `every` steps.
    Lines {
        /// What is being done.
        what: String,
        /// Steps in all.
        total: u64,
        /// Steps done.
        done: u64,
        /// How often to print.
        every: u64,
    },
}

impl Progress {
    /// A reporter for `what` over `total` steps.
    pub fn new(what: &str, total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.to_owned());
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                what: what.to_owned(),
                total,
                done: 0,
                every: (total / 10).max(1),
            }
        }
    }

    /// `n` more steps done.
    pub fn inc(&mut self, n: u64) {
        match self {
            Progress::Bar(bar) => bar.inc(n),
            Progress::Lines {
                what,
                total,
                done,
                every,
            } => {
                let before = *done / *every;
                *done += n;
                if *done / *every != before || *done >= *total {
                    eprintln!("{what}: {}/{total}", (*done).min(*total));
                }
            }
        }
    }

    /// The work is over.
    pub fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
