//! Messages that cross process boundaries.
//!
//! These are plain data with serde, so each exercise can put them on the wire
//! in the encoding its lesson is about (text lines, JSON, Protocol Buffers).

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// One chat message: who sent it, what it says, and when.
///
/// `socket-chat` sends it as a text line (only `text` travels), or as a
/// Protocol Buffers message (all three fields; see `socket-chat/proto/chat.proto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote the message: a user name, or `server` for the server's own notices.
    pub sender: String,
    /// The message itself, UTF-8.
    pub text: String,
    /// When it was sent, in milliseconds since the Unix epoch (UTC).
    pub sent_at_ms: i64,
}

impl ChatMessage {
    /// A message from `sender`, stamped with the current time.
    pub fn now(sender: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            sender: sender.into(),
            text: text.into(),
            sent_at_ms: unix_millis(),
        }
    }
}

/// Milliseconds since the Unix epoch; 0 if the clock is set before 1970.
pub fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_names_are_stable() {
        let m = ChatMessage {
            sender: "Maísa".into(),
            text: "Olá".into(),
            sent_at_ms: 1_700_000_000_000,
        };
        let json = serde_json::to_string(&m).expect("serializes");
        assert_eq!(
            json,
            r#"{"sender":"Maísa","text":"Olá","sent_at_ms":1700000000000}"#
        );
        let back: ChatMessage = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, m);
    }

    #[test]
    fn now_stamps_a_time_after_2020() {
        assert!(ChatMessage::now("a", "b").sent_at_ms > 1_577_836_800_000);
    }
}
