//! attack: opens network connections: TCP to a listener on this machine, UDP, and an abstract
//! Unix socket made outside the run (the test puts its port and name in place of PORT, NAME)

use std::os::linux::net::SocketAddrExt;

fn main() {
    let tcp = std::net::TcpStream::connect("127.0.0.1:PORT");
    eprintln!("tcp: {:?}", tcp.map(|_| ()));
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| s.send_to(b"x", "127.0.0.1:PORT"));
    eprintln!("udp: {udp:?}");
    let unix = std::os::unix::net::SocketAddr::from_abstract_name(b"NAME")
        .and_then(|a| std::os::unix::net::UnixStream::connect_addr(&a));
    eprintln!("abstract socket: {:?}", unix.map(|_| ()));
    let bound = std::net::TcpListener::bind("0.0.0.0:0");
    eprintln!("listening: {:?}", bound.map(|l| l.local_addr()));
}
