//! Why an input file was refused: always the file, and where in it (line, document and field
//! path), so a user can go straight to the mistake.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file (it could not be read, or something is missing from it).
    File,
    /// A line, counted from 1, and a column when known.
    Line {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: Option<usize>,
    },
    /// A field of a YAML document or JSON answer.
    Field {
        /// The YAML document, counted from 1 (`None` for a JSON file).
        document: Option<usize>,
        /// `Kind/name` of the object, when known.
        object: Option<String>,
        /// The field path, `spec.metrics[0].resource.target`; empty for the whole document.
        path: String,
        /// The line in the file, when the parser knows it.
        line: Option<usize>,
    },
}

/// An input file the command cannot use.
///
/// ```
/// use podscale_controller::error::{InputError, Location};
/// let e = InputError::new("hpa.yaml", Location::Line { line: 3, column: Some(5) }, "bad");
/// assert_eq!(e.to_string(), "hpa.yaml:3:5: bad");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub file: PathBuf,
    /// Where in it (boxed: errors travel through every `Result` of the loaders, and stay
    /// small that way).
    pub location: Box<Location>,
    /// What is wrong, in the file's own words (field names as written in manifests).
    pub message: String,
}

impl InputError {
    /// An error in `file` at `location`.
    pub fn new(file: impl AsRef<Path>, location: Location, message: impl Into<String>) -> Self {
        Self {
            file: file.as_ref().to_path_buf(),
            location: Box::new(location),
            message: message.into(),
        }
    }

    /// An error about the whole file.
    pub fn file(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self::new(file, Location::File, message)
    }

    /// An error at a line (from 1).
    pub fn line(file: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Self::new(file, Location::Line { line, column: None }, message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &*self.location {
            Location::File => {}
            Location::Line { line, column } => {
                write!(f, ":{line}")?;
                if let Some(column) = column {
                    write!(f, ":{column}")?;
                }
            }
            Location::Field {
                document,
                object,
                path,
                line,
            } => {
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                if let Some(document) = document {
                    write!(f, ": document {document}")?;
                }
                if let Some(object) = object {
                    write!(f, " ({object})")?;
                }
                if !path.is_empty() {
                    write!(f, ": {path}")?;
                }
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}
