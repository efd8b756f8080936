//! bitsadmin's file-set lists (`/addfileset`): one `REMOTE LOCAL` pair per line, blank lines and
//! `#` comments skipped. Read by `ferry addfileset` and `ferry transfer --list`.

use std::path::Path;

use ferry_engine::ErrorCode;
use ferry_owner::ApiError;

/// One line of a list: the remote URL and the local path, as written.
#[derive(Debug, PartialEq, Eq)]
pub struct Pair {
    /// The remote name (a URL).
    pub remote: String,
    /// The local path as written (relative paths are against the working folder).
    pub local: String,
}

/// Reads the list file at `list`.
pub fn read(list: &Path) -> Result<Vec<Pair>, ApiError> {
    let text = std::fs::read_to_string(list)
        .map_err(|e| ApiError::io(format!("cannot read {}", list.display()), &e))?;
    parse(&text)
}

/// The pairs of a list's text; a line without a local path is an error naming the line.
pub fn parse(text: &str) -> Result<Vec<Pair>, ApiError> {
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((remote, local)) = line.split_once(char::is_whitespace) else {
            return Err(ApiError::new(
                ErrorCode::E_INVALIDARG,
                format!(
                    "line {} of the list has no local file: write REMOTE LOCAL",
                    number + 1
                ),
            ));
        };
        pairs.push(Pair {
            remote: remote.to_owned(),
            local: local.trim().to_owned(),
        });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_set_reads_pairs_and_skips_comments() {
        let pairs = parse("# list\nhttp://h/a /tmp/a\n\nhttp://h/b   /tmp/b c\n").unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].local, "/tmp/b c");
        let error = parse("http://h/a\n").unwrap_err();
        assert!(error.message.contains("line 1"), "{}", error.message);
    }
}
