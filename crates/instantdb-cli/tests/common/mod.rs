//! Helpers shared by the tests of the server commands (`instant dev`, `instant demo --keep-running`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

/// The child's stdout lines up to and including the first one containing `marker`. The rest
/// is drained on a thread, so the child never writes into a closed pipe.
pub(crate) fn read_until(child: &mut Child, marker: &str) -> Vec<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read a line of stdout");
        let done = line.contains(marker);
        printed.push(line);
        if done {
            std::thread::spawn(move || lines.for_each(drop));
            return printed;
        }
    }
    panic!("the output ended before {marker:?}: {printed:?}");
}

/// Sends `POST /admin/query` with `body` over plain HTTP/1.1 and returns the whole response,
/// status line included.
pub(crate) fn raw_admin_query(url: &str, app_id: &str, admin_token: &str, body: &str) -> String {
    let mut stream =
        TcpStream::connect(url.trim_start_matches("http://")).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        stream,
        "POST /admin/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\napp-id: {app_id}\r\nauthorization: Bearer {admin_token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    response
}
