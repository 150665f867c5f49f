//! Picks the IP that goes into the client id, the way Java's `RemotingUtil.getLocalAddress`
//! does: the first IPv4 address that is neither loopback (`127.0.*`) nor `192.168.*`, else the
//! last IPv4 address seen, else the first IPv6 address, else `127.0.0.1`.

use std::net::IpAddr;

/// The local address for client ids.
pub fn local_ip() -> String {
    let addrs: Vec<IpAddr> = if_addrs::get_if_addrs()
        .map(|ifs| {
            ifs.into_iter()
                .filter(|i| !i.is_loopback())
                .map(|i| i.ip())
                .collect()
        })
        .unwrap_or_default();
    choose(&addrs)
}

fn choose(addrs: &[IpAddr]) -> String {
    let v4: Vec<String> = addrs
        .iter()
        .filter(|a| a.is_ipv4())
        .map(IpAddr::to_string)
        .collect();
    if let Some(ip) = v4
        .iter()
        .find(|ip| !ip.starts_with("127.0") && !ip.starts_with("192.168"))
    {
        return ip.clone();
    }
    if let Some(ip) = v4.last() {
        return ip.clone();
    }
    addrs
        .iter()
        .find(|a| a.is_ipv6())
        .map_or_else(|| "127.0.0.1".to_owned(), IpAddr::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().expect("ip")).collect()
    }

    #[test]
    fn prefers_a_non_private_192_168_ipv4() {
        assert_eq!(choose(&ips(&["192.168.1.2", "10.1.2.3"])), "10.1.2.3");
    }

    #[test]
    fn falls_back_to_last_ipv4_then_ipv6_then_loopback() {
        assert_eq!(choose(&ips(&["192.168.1.2", "192.168.1.3"])), "192.168.1.3");
        assert_eq!(choose(&ips(&["fe80::1"])), "fe80::1");
        assert_eq!(choose(&[]), "127.0.0.1");
    }
}
