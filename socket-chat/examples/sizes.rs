//! The same chat messages encoded three ways: text line, JSON, protobuf.
//!
//! ```text
//! cargo run -p socket-chat --example sizes
//! ```
//!
//! Text carries only the words (no sender, no time); JSON and protobuf carry
//! all three fields. Protobuf spends one byte per field tag and writes the
//! timestamp as a varint instead of 13 decimal digits, and its length prefix
//! is one byte for messages under 128 bytes.

use common::message::ChatMessage;
use socket_chat::wire::{self, Codec};

fn main() -> anyhow::Result<()> {
    let messages = [
        ("Maísa", "Olá"),
        ("operator", "Oi! Tudo bem?"),
        ("Patrick", "Qual a idade de Patrick? Ele tem 24 anos."),
    ];
    println!("| message | text line | JSON | protobuf (with length prefix) |");
    println!("|---|---:|---:|---:|");
    for (sender, text) in messages {
        let message = ChatMessage {
            sender: sender.into(),
            text: text.into(),
            sent_at_ms: 1_714_000_000_000,
        };
        let line = wire::encode(Codec::Text, &message, true).len();
        let json = serde_json::to_vec(&message)?.len() + 1; // + newline, as a JSON line
        let proto = wire::encode(Codec::Proto, &message, false).len();
        println!("| {sender}: {text} | {line} B | {json} B | {proto} B |");
    }
    Ok(())
}
