import CMnl
@testable import Netlink
import Testing

/// The library spells kernel constants as plain numbers; this compares them with the values the
/// C headers (through CMnl's shim) give, so a typo cannot hide.
@Suite("Kernel header constants")
struct HeaderConstantsTests {
    @Test func messageTypes() {
        #expect(Int(RouteMessageType.newLink) == RTM_NEWLINK)
        #expect(Int(RouteMessageType.deleteLink) == RTM_DELLINK)
        #expect(Int(RouteMessageType.getLink) == RTM_GETLINK)
        #expect(Int(RouteMessageType.setLink) == RTM_SETLINK)
        #expect(Int(RouteMessageType.newAddress) == RTM_NEWADDR)
        #expect(Int(RouteMessageType.deleteAddress) == RTM_DELADDR)
        #expect(Int(RouteMessageType.getAddress) == RTM_GETADDR)
        #expect(Int(RouteMessageType.newRoute) == RTM_NEWROUTE)
        #expect(Int(RouteMessageType.deleteRoute) == RTM_DELROUTE)
        #expect(Int(RouteMessageType.getRoute) == RTM_GETROUTE)
        #expect(Int(RouteMessageType.newRule) == RTM_NEWRULE)
        #expect(Int(RouteMessageType.deleteRule) == RTM_DELRULE)
        #expect(Int(RouteMessageType.getRule) == RTM_GETRULE)
    }

    @Test func linkAttributes() {
        #expect(Int(LinkAttribute.address) == IFLA_ADDRESS)
        #expect(Int(LinkAttribute.name) == IFLA_IFNAME)
        #expect(Int(LinkAttribute.mtu) == IFLA_MTU)
        #expect(Int(LinkAttribute.link) == IFLA_LINK)
        #expect(Int(LinkAttribute.info) == IFLA_LINKINFO)
        #expect(Int(LinkAttribute.alias) == IFLA_IFALIAS)
        #expect(Int(LinkAttribute.namespaceFD) == IFLA_NET_NS_FD)
        #expect(Int(LinkAttribute.linkNamespaceID) == IFLA_LINK_NETNSID)
        #expect(Int(LinkAttribute.infoKind) == IFLA_INFO_KIND)
        #expect(Int(LinkAttribute.infoData) == IFLA_INFO_DATA)
        #expect(Int(LinkAttribute.vethPeer) == VETH_INFO_PEER)
        #expect(InterfaceName.maximumBytes == Int(IFNAMSIZ) - 1)
        #expect(Link.headerLength == MemoryLayout<ifinfomsg>.size)
    }

    @Test func addressAttributes() {
        #expect(Int(AddressAttribute.address) == IFA_ADDRESS)
        #expect(Int(AddressAttribute.local) == IFA_LOCAL)
        #expect(Int(AddressAttribute.label) == IFA_LABEL)
        #expect(Int(AddressAttribute.broadcast) == IFA_BROADCAST)
        #expect(Int(AddressAttribute.flags) == IFA_FLAGS)
        #expect(AddressFlags.noDAD.rawValue == UInt32(IFA_F_NODAD))
        #expect(AddressFlags.permanent.rawValue == UInt32(IFA_F_PERMANENT))
        #expect(AddressFlags.tentative.rawValue == UInt32(IFA_F_TENTATIVE))
        #expect(AddressFlags.noPrefixRoute.rawValue == UInt32(IFA_F_NOPREFIXROUTE))
        #expect(Address.headerLength == MemoryLayout<ifaddrmsg>.size)
    }

    @Test func routeAttributes() {
        #expect(UInt32(RouteAttribute.destination) == RTA_DST.rawValue)
        #expect(UInt32(RouteAttribute.outputLink) == RTA_OIF.rawValue)
        #expect(UInt32(RouteAttribute.gateway) == RTA_GATEWAY.rawValue)
        #expect(UInt32(RouteAttribute.priority) == RTA_PRIORITY.rawValue)
        #expect(UInt32(RouteAttribute.preferredSource) == RTA_PREFSRC.rawValue)
        #expect(UInt32(RouteAttribute.table) == RTA_TABLE.rawValue)
        #expect(UInt32(RouteAttribute.via) == RTA_VIA.rawValue)
        #expect(UInt32(RouteTable.main) == RT_TABLE_MAIN.rawValue)
        #expect(UInt32(RouteScope.link.rawValue) == RT_SCOPE_LINK.rawValue)
        #expect(UInt32(RouteScope.nowhere.rawValue) == RT_SCOPE_NOWHERE.rawValue)
        #expect(Int(RouteType.blackhole.rawValue) == RTN_BLACKHOLE)
        #expect(Int32(RouteProtocol.static.rawValue) == RTPROT_STATIC)
        #expect(Int32(RouteProtocol.boot.rawValue) == RTPROT_BOOT)
        #expect(Route.clonedFlag == UInt32(RTM_F_CLONED))
        #expect(RouteFlags.onLink.rawValue == UInt32(RTNH_F_ONLINK))
        #expect(Route.headerLength == MemoryLayout<rtmsg>.size)
    }

    @Test func ruleAttributes() {
        #expect(Int(RuleAttribute.priority) == FRA_PRIORITY)
        #expect(Int(RuleAttribute.fwmark) == FRA_FWMARK)
        #expect(Int(RuleAttribute.table) == FRA_TABLE)
        #expect(Int(RuleAttribute.fwmask) == FRA_FWMASK)
        #expect(Int(RuleAction.toTable.rawValue) == FR_ACT_TO_TBL)
        #expect(Int(RuleAction.blackhole.rawValue) == FR_ACT_BLACKHOLE)
        #expect(Rule.headerLength == MemoryLayout<fib_rule_hdr>.size)
    }
}
