import Netlink

/// How the data path decides a route is already there, and how it names routes in change lines.
enum RouteMatching {
    /// True when `existing` does what `desired` asks: same table, destination, next hop, output
    /// link, scope and type. The protocol and metric are not compared, so a route another
    /// program (the Go daemon) installed with its own defaults is adopted as it is.
    static func satisfies(_ existing: Route, _ desired: Route) -> Bool {
        existing.family == desired.family && existing.table == desired.table
            && existing.destination == desired.destination && existing.gateway == desired.gateway
            && existing.via == desired.via && existing.linkIndex == desired.linkIndex
            && existing.scope == desired.scope && existing.type == desired.type
    }

    /// iproute2-like text with the link's name: `10.0.0.6/32 dev host-gateway scope link`.
    static func describe(_ route: Route, device: String) -> String {
        var text = route.destination.map(String.init(describing:)) ?? "default"
        if let gateway = route.gateway { text += " via \(gateway)" }
        if let via = route.via { text += " via \(via.ipFamily) \(via)" }
        text += " dev \(device)"
        if route.scope == .link { text += " scope link" }
        return text
    }

    /// Replaces `desired` unless a route in `existing` already satisfies it.
    static func ensure(_ desired: Route, device: String, existing: [Route], links: NetlinkHandle,
                       place: String, log: ChangeLog) throws(GatewayDataPathError) {
        guard !existing.contains(where: { satisfies($0, desired) }) else { return }
        try log.write("\(place): replace route \(describe(desired, device: device))") { try links.replaceRoute(desired) }
    }
}
