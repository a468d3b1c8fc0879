//! A likely cause: its words, and what it is about, which picks the hint a report shows with
//! it (the exercise's first hint on that topic).

use crate::workbook::manifest::Topic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub text: String,
    /// None where no hint says more than the cause itself.
    pub topic: Option<Topic>,
}

impl Cause {
    pub fn on(topic: Topic, text: impl Into<String>) -> Cause {
        Cause {
            text: text.into(),
            topic: Some(topic),
        }
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Cause {
        Cause { text, topic: None }
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Cause {
        Cause::from(text.to_string())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
