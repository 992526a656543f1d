//! The catalog as a picture: who listens to what, in Graphviz DOT or
//! Mermaid, drawn from [`Catalog`].
//!
//! Both drawings come from one [`Map`]: the signals grouped by the crate that
//! defines them, the receivers grouped by the crate that holds them (run-time
//! connections in a group of their own), and an edge per registration,
//! labelled with its order. The text depends only on the catalog, so the
//! same binary draws the same map byte for byte, on every backend.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use crate::catalog::Catalog;
use crate::receiver::{ReceiverInfo, ReceiverKind};

/// A receiver node stands for every registration with the same crate, name
/// and flavour: one function registered for several signals (or several
/// functions that share a `name =`) is drawn once, with an edge per signal.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ReceiverKey<'c> {
    /// `None` for a run-time connection.
    krate: Option<&'static str>,
    name: &'c str,
    is_async: bool,
    is_durable: bool,
}

/// One group of nodes: a crate, or the run-time connections.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Crate(&'static str),
    /// After every crate.
    RunTime,
}

struct Node {
    /// `s3` or `r7`, given in drawing order: valid in both languages.
    id: String,
    label: String,
    shape: Shape,
    group: Group,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Signal,
    Receiver,
    AsyncReceiver,
    /// Run by a worker of `signals-queue`, not during the send.
    DurableReceiver,
}

struct Edge {
    from: usize,
    to: usize,
    order: i32,
    is_filtered: bool,
}

/// The graph both drawings print.
struct Map {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

impl Map {
    fn new(catalog: &Catalog) -> Self {
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let mut receivers: BTreeMap<ReceiverKey<'_>, usize> = BTreeMap::new();
        for entry in catalog {
            let flavour = if entry.is_async() { " (async)" } else { "" };
            nodes.push(Node {
                id: String::new(),
                label: format!("{}{flavour}", entry.name()),
                shape: Shape::Signal,
                group: Group::Crate(entry.crate_name()),
            });
        }
        for (at, entry) in catalog.iter().enumerate() {
            for receiver in entry.receivers() {
                let key = ReceiverKey {
                    krate: receiver.crate_name(),
                    name: receiver.name(),
                    is_async: receiver.is_async(),
                    is_durable: receiver.is_durable(),
                };
                let next = nodes.len();
                let to = *receivers.entry(key).or_insert(next);
                if to == next {
                    nodes.push(receiver_node(receiver));
                }
                edges.push(Edge {
                    from: at,
                    to,
                    order: receiver.order(),
                    is_filtered: receiver.is_filtered(),
                });
            }
        }
        let mut map = Map { nodes, edges };
        map.number();
        map
    }

    /// Gives the nodes their ids in the order they are drawn, so that the
    /// text reads `s0, s1, ...` and `r0, r1, ...` from top to bottom.
    fn number(&mut self) {
        let mut drawn: Vec<usize> = (0..self.nodes.len()).collect();
        // Stable: within a group, nodes keep the order they were met in.
        drawn.sort_by_key(|&at| self.nodes[at].group);
        let (mut signals, mut receivers) = (0, 0);
        for at in drawn {
            let node = &mut self.nodes[at];
            node.id = if node.shape == Shape::Signal {
                signals += 1;
                format!("s{}", signals - 1)
            } else {
                receivers += 1;
                format!("r{}", receivers - 1)
            };
        }
    }

    /// The groups in the order they are drawn (crates by name, run-time
    /// connections last), each with its nodes in the order they were met.
    fn groups(&self) -> Vec<(Group, Vec<&Node>)> {
        let mut groups: BTreeMap<Group, Vec<&Node>> = BTreeMap::new();
        for node in &self.nodes {
            groups.entry(node.group).or_default().push(node);
        }
        groups.into_iter().collect()
    }
}

fn receiver_node(receiver: &ReceiverInfo) -> Node {
    let shape = if receiver.is_durable() {
        Shape::DurableReceiver
    } else if receiver.is_async() {
        Shape::AsyncReceiver
    } else {
        Shape::Receiver
    };
    let flavour = match (receiver.is_async(), receiver.is_durable()) {
        (false, false) => "",
        (true, false) => " (async)",
        (false, true) => " (durable)",
        (true, true) => " (async, durable)",
    };
    Node {
        id: String::new(),
        label: format!("{}{flavour}", receiver.name()),
        shape,
        group: match (receiver.kind(), receiver.crate_name()) {
            (ReceiverKind::Static, Some(krate)) => Group::Crate(krate),
            _ => Group::RunTime,
        },
    }
}

fn group_label(group: Group) -> String {
    match group {
        Group::Crate(krate) => format!("crate {krate}"),
        Group::RunTime => "run time (connect)".to_owned(),
    }
}

fn edge_label(edge: &Edge) -> String {
    if edge.is_filtered {
        format!("{}, filtered", edge.order)
    } else {
        edge.order.to_string()
    }
}

/// A double-quoted DOT string.
fn dot_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\n' => quoted.push_str("\\n"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A double-quoted Mermaid label: quotes and angle brackets as entities, so
/// that no name can end the label or be read as HTML.
fn mermaid_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("#quot;"),
            '<' => quoted.push_str("#lt;"),
            '>' => quoted.push_str("#gt;"),
            '#' => quoted.push_str("#35;"),
            '\n' => quoted.push(' '),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

pub(crate) fn dot(catalog: &Catalog) -> String {
    draw(catalog, write_dot)
}

pub(crate) fn mermaid(catalog: &Catalog) -> String {
    draw(catalog, write_mermaid)
}

fn draw(catalog: &Catalog, write: fn(&Map, &mut String) -> fmt::Result) -> String {
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = write(&Map::new(catalog), &mut out);
    out
}

fn write_dot(map: &Map, out: &mut String) -> fmt::Result {
    writeln!(out, "digraph signals {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  graph [fontname=\"Helvetica\"];")?;
    writeln!(out, "  node [fontname=\"Helvetica\", fontsize=11];")?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];")?;
    for (number, (group, nodes)) in map.groups().into_iter().enumerate() {
        writeln!(out, "  subgraph cluster_{number} {{")?;
        writeln!(out, "    label={};", dot_string(&group_label(group)))?;
        if group == Group::RunTime {
            writeln!(out, "    style=dashed;")?;
        }
        for node in nodes {
            let mut style = Vec::new();
            let shape = match node.shape {
                Shape::Signal => {
                    style.push("bold");
                    "hexagon"
                }
                Shape::Receiver => "box",
                Shape::AsyncReceiver => {
                    style.push("rounded");
                    "box"
                }
                Shape::DurableReceiver => "cylinder",
            };
            if node.group == Group::RunTime {
                style.push("dashed");
            }
            write!(
                out,
                "    {} [label={}, shape={shape}",
                node.id,
                dot_string(&node.label)
            )?;
            if !style.is_empty() {
                write!(out, ", style={}", dot_string(&style.join(",")))?;
            }
            writeln!(out, "];")?;
        }
        writeln!(out, "  }}")?;
    }
    for edge in &map.edges {
        write!(
            out,
            "  {} -> {} [label={}",
            map.nodes[edge.from].id,
            map.nodes[edge.to].id,
            dot_string(&edge_label(edge))
        )?;
        if edge.is_filtered {
            write!(out, ", style=dashed")?;
        }
        writeln!(out, "];")?;
    }
    writeln!(out, "}}")
}

fn write_mermaid(map: &Map, out: &mut String) -> fmt::Result {
    writeln!(out, "flowchart LR")?;
    let mut run_time = Vec::new();
    for (number, (group, nodes)) in map.groups().into_iter().enumerate() {
        writeln!(
            out,
            "  subgraph g{number}[{}]",
            mermaid_string(&group_label(group))
        )?;
        for node in nodes {
            let label = mermaid_string(&node.label);
            let (open, close) = match node.shape {
                Shape::Signal => ("{{", "}}"),
                Shape::Receiver => ("[", "]"),
                Shape::AsyncReceiver => ("([", "])"),
                Shape::DurableReceiver => ("[(", ")]"),
            };
            writeln!(out, "    {}{open}{label}{close}", node.id)?;
            if node.group == Group::RunTime {
                run_time.push(node.id.as_str());
            }
        }
        writeln!(out, "  end")?;
    }
    for edge in &map.edges {
        let arrow = if edge.is_filtered { "-.->" } else { "-->" };
        writeln!(
            out,
            "  {} {arrow}|{}| {}",
            map.nodes[edge.from].id,
            mermaid_string(&edge_label(edge)),
            map.nodes[edge.to].id
        )?;
    }
    if !run_time.is_empty() {
        writeln!(out, "  classDef runtime stroke-dasharray: 5 3")?;
        writeln!(out, "  class {} runtime", run_time.join(","))?;
    }
    Ok(())
}
