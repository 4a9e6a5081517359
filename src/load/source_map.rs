//! Positions of every node of a YAML or JSON text, by JSON pointer.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::{self, Position};

/// Where each node of a document starts: mapping values at their key, sequence items at the item.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    positions: BTreeMap<String, Position>,
}

impl SourceMap {
    /// Maps every node of `text` (YAML or JSON). A text the YAML scanner cannot read maps what it
    /// read before the problem.
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        // The loader reports syntax errors itself; positions up to the error are still useful.
        let _ = Parser::new_from_str(text).load(&mut builder, false);
        Self { positions: builder.positions }
    }

    /// The position of `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<Position> {
        let mut current = pointer;
        loop {
            if let Some(position) = self.positions.get(current) {
                return Some(*position);
            }
            current = &current[..current.rfind('/')?];
        }
    }

    /// Whether `pointer` itself is mapped.
    pub fn contains(&self, pointer: &str) -> bool {
        self.positions.contains_key(pointer)
    }
}

enum Frame {
    Mapping { pointer: String, key: Option<String> },
    Sequence { pointer: String, index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    positions: BTreeMap<String, Position>,
}

impl Builder {
    /// The pointer of the node that starts now, or `None` when the node is a mapping key.
    fn node_pointer(&mut self, event: &Event, mark: Marker) -> Option<String> {
        match self.stack.last_mut() {
            None => Some("#".to_string()),
            Some(Frame::Sequence { pointer, index }) => Some(diag::child(pointer, index.to_string())),
            Some(Frame::Mapping { pointer, key }) => match key.take() {
                Some(key) => Some(diag::child(pointer, key)),
                None => {
                    let key = match event {
                        Event::Scalar(text, ..) => text.clone(),
                        _ => "?".to_string(),
                    };
                    let child = diag::child(pointer, &key);
                    self.positions.entry(child).or_insert(position(mark));
                    if let Some(Frame::Mapping { key: slot, .. }) = self.stack.last_mut() {
                        *slot = Some(key);
                    }
                    None
                }
            },
        }
    }

    fn node_done(&mut self) {
        if let Some(Frame::Sequence { index, .. }) = self.stack.last_mut() {
            *index += 1;
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(..) | Event::Alias(..) | Event::MappingStart(..) | Event::SequenceStart(..) => {
                let Some(pointer) = self.node_pointer(&event, mark) else { return };
                self.positions.entry(pointer.clone()).or_insert(position(mark));
                match event {
                    Event::MappingStart(..) => self.stack.push(Frame::Mapping { pointer, key: None }),
                    Event::SequenceStart(..) => self.stack.push(Frame::Sequence { pointer, index: 0 }),
                    _ => self.node_done(),
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.node_done();
            }
            _ => {}
        }
    }
}

fn position(mark: Marker) -> Position {
    Position { line: mark.line(), column: mark.col() + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions_point_at_keys_and_items() {
        let map = SourceMap::build("openapi: 3.0.3\npaths:\n  /a/{id}:\n    get:\n      tags: [x, y]\n");
        assert_eq!(map.locate("#/paths/~1a~1{id}/get"), Some(Position { line: 4, column: 5 }));
        assert_eq!(map.locate("#/paths/~1a~1{id}/get/tags/1"), Some(Position { line: 5, column: 17 }));
        assert_eq!(map.locate("#/paths/~1a~1{id}/get/missing"), Some(Position { line: 4, column: 5 }));
    }

    #[test]
    fn json_positions() {
        let map = SourceMap::build("{\n  \"a\": {\n    \"b\": [1, {\"c\": 2}]\n  }\n}");
        assert_eq!(map.locate("#/a/b/1/c"), Some(Position { line: 3, column: 15 }));
    }
}
