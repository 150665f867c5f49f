//! Java's benchmark command-line conventions on top of clap: Apache Commons CLI accepts short
//! options of two letters (`-ak`, `-sk`, `-ri`, `-ct`, `-cl`, `-ch`), which clap cannot declare,
//! and reads boolean options as `Boolean.parseBoolean` does. Nothing here talks to a broker.

/// Java's two-letter short options and the long options that stand for them. Each pair is
/// `(java, ours)`: `-ak KEY` is read as `--access-key KEY`.
pub type Aliases = &'static [(&'static str, &'static str)];

/// Rewrites Java's two-letter short options in `args` (the program name first, as
/// `std::env::args` gives them) to the long options in `aliases`. `-ak=KEY` is not a Java form
/// and stays as it is; everything after `--` stays as it is.
///
/// ```
/// use rmq_tools::bench::java_args::rewrite;
///
/// let args = ["rmq-bench-producer", "-a", "true", "-ak", "AK", "-w", "8"].map(String::from);
/// let out = rewrite(args, &[("-ak", "--access-key")]);
/// assert_eq!(out, ["rmq-bench-producer", "-a", "true", "--access-key", "AK", "-w", "8"]);
/// ```
pub fn rewrite(args: impl IntoIterator<Item = String>, aliases: Aliases) -> Vec<String> {
    let mut past_separator = false;
    args.into_iter()
        .map(|arg| {
            if past_separator {
                return arg;
            }
            if arg == "--" {
                past_separator = true;
                return arg;
            }
            match aliases.iter().find(|(java, _)| *java == arg) {
                Some((_, ours)) => (*ours).to_owned(),
                None => arg,
            }
        })
        .collect()
}

/// Java's `Boolean.parseBoolean`: `true` in any case is true, anything else is false. Java's
/// benchmarks read every on/off option this way, so `-k yes` means off there and here.
///
/// ```
/// use rmq_tools::bench::java_args::java_bool;
///
/// assert_eq!(java_bool("TRUE"), Ok(true));
/// assert_eq!(java_bool("yes"), Ok(false));
/// ```
pub fn java_bool(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(value.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIASES: Aliases = &[("-ak", "--access-key"), ("-ri", "--report-interval")];

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn two_letter_options_become_long_options() {
        let out = rewrite(
            strings(&["p", "-ri", "1000", "-ak", "k", "-a", "true"]),
            ALIASES,
        );
        assert_eq!(
            out,
            strings(&[
                "p",
                "--report-interval",
                "1000",
                "--access-key",
                "k",
                "-a",
                "true"
            ])
        );
    }

    #[test]
    fn values_and_arguments_after_the_separator_are_kept() {
        // A value that happens to spell an alias is only a value after its option when it
        // follows `--`; Java's own parser would read it as an option anywhere else, too.
        let out = rewrite(strings(&["p", "--", "-ak"]), ALIASES);
        assert_eq!(out, strings(&["p", "--", "-ak"]));
        let out = rewrite(strings(&["p", "-akx"]), ALIASES);
        assert_eq!(out, strings(&["p", "-akx"]));
    }

    #[test]
    fn booleans_read_as_java_parse_boolean() {
        for (text, want) in [("true", true), ("True", true), (" true ", true)] {
            assert_eq!(java_bool(text), Ok(want), "{text}");
        }
        for text in ["false", "1", "yes", "", "on"] {
            assert_eq!(java_bool(text), Ok(false), "{text}");
        }
    }
}
