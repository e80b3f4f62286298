// `vpcfw check` findings: validation errors the loader lets through, and lint warnings about
// configurations that cost money or break traffic. Cold path; reads the model, never changes
// it, and never throws on any model (missing references are reported, not followed).
//
// Every code, its severity and when it fires (user documentation: docs/check.md):
//
// | code                        | severity | fires for                                              |
// |-----------------------------|----------|--------------------------------------------------------|
// | duplicate-address           | error    | an ENI whose private IPv4/IPv6 address is already held |
// |                             |          | by another ENI of the same VPC (one per later ENI)     |
// | route-target-missing        | error    | an `active` route whose target (igw, eigw, nat, eni or |
// |                             |          | instance, pcx, tgw, vgw, vpce) is absent although the  |
// |                             |          | export holds objects of that kind                      |
// | subnet-no-nacl              | error    | a subnet with no NACL association and no default NACL  |
// | subnet-no-route-table       | error    | a subnet with no explicit and no main route table      |
// | endpoint-unused             | warning  | a gateway endpoint no route table routes to            |
// | eip-unassociated            | warning  | an Elastic IP that is allocated but not associated     |
// | nacl-missing                | warning  | a subnet whose VPC's NACLs are not in the export: it   |
// |                             |          | has AWS's default NACL `acl-default(VPC-ID)` (allow    |
// |                             |          | all), docs/semantics.md §5 CHOICE missing_nacl_default      |
// | nacl-blocks-return          | warning  | a TCP/UDP service-port allow entry whose return        |
// |                             |          | packets (to ports 1024-65535) the other direction      |
// |                             |          | denies entirely, for some peer address                 |
// | nacl-shadowed-entry         | warning  | an entry covered by one earlier entry (never matches)  |
// | quota-nacl-entries          | warning  | > 20 entries per NACL, direction and family (with `*`) |
// | quota-routes                | warning  | > 50 non-propagated routes per table and family        |
// | quota-sg-rules              | warning  | > 60 rules per SG, direction and family                |
// | quota-sgs-per-eni           | warning  | > 5 security groups on one ENI                         |
// | quota-tgw-route-tables      | warning  | > 20 route tables on one transit gateway               |
// | route-prefix-list-overlap   | warning  | two prefix-list routes of one table whose lists share  |
// |                             |          | an entry, with different targets                       |
// | route-target-not-exported   | warning  | an `active` route whose target kind is absent from the |
// |                             |          | export altogether (a describe command was left out)    |
// | sg-missing-group            | warning  | an SG rule naming a group that is not in the export    |
// | sg-open-admin-port          | warning  | an SG ingress rule from 0.0.0.0/0 or ::/0 covering 22, |
// |                             |          | 23, 3389, 5985 or 5986                                 |
// | route-blackhole             | info     | a route in state `blackhole`                           |
//
// Why the errors are narrow: the real exports in shared/data/aws-snapshots are partial (no
// InternetGateways.json in test-vpc-peering, a blackhole route to a deleted IGW), and must
// give no error. A route to a deleted target is `blackhole` in AWS, so only an *active*
// route to an absent target is inconsistent; when the whole kind is missing the export is
// incomplete rather than wrong, which is a warning.
#include "ruleset/lint.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace vpcfw {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "info";
    }
    return "unknown";
}

namespace {

// AWS quotas (docs/aws-facts.md §1.5, §2, §4, §10; default values).
constexpr int kQuotaSgRules = 60;
constexpr int kQuotaSgsPerEni = 5;
constexpr int kQuotaNaclEntries = 20;
constexpr int kQuotaRoutes = 50;
constexpr int kQuotaTgwRouteTables = 20;

// Return traffic goes to the client's ephemeral port; 1024-65535 covers every client
// (ELB, NAT gateway, Lambda, Linux and Windows ranges; docs/aws-facts.md §2).
constexpr int kEphemeralLo = 1024;
constexpr int kEphemeralHi = 65535;
// An allow entry spanning more ports than this is read as a return-traffic (ephemeral) rule,
// not as a service that clients connect to.
constexpr int kMaxServiceRangeWidth = 1024;

class Linter {
public:
    explicit Linter(const Network& net) : net_(net) {}

    std::vector<Finding> run() {
        duplicate_addresses();
        route_targets();
        subnet_associations();
        endpoints_unused();
        eips_unassociated();
        nacl_findings();
        quotas();
        prefix_list_overlaps();
        sg_groups_and_admin_ports();
        blackholes();
        lint_firewalls(net_, out_);   // ruleset/lint_firewalls.cpp
        std::stable_sort(out_.begin(), out_.end(), [](const Finding& a, const Finding& b) {
            return std::tie(a.code, a.object) < std::tie(b.code, b.object);
        });
        return std::move(out_);
    }

private:
    const Network& net_;
    std::vector<Finding> out_;

    void add(Severity s, std::string code, std::string object, std::string message) {
        out_.push_back(Finding{s, std::move(code), std::move(object), std::move(message)});
    }

    std::string vpc_id(Idx v) const { return v < net_.vpcs.size() ? net_.vpcs[v].id : std::string("(no VPC)"); }

    // ---- duplicate-address --------------------------------------------------------------
    void duplicate_addresses() {
        std::map<std::pair<Idx, IpAddr>, const Eni*> owner;
        for (const Eni& e : net_.enis) {
            if (e.vpc == kNone) continue;
            std::set<IpAddr> mine; // an address listed twice on one ENI is not a clash
            std::vector<IpAddr> addrs;
            for (const PrivateIp& p : e.private_ips) addrs.push_back(p.addr);
            addrs.insert(addrs.end(), e.ipv6.begin(), e.ipv6.end());
            for (const IpAddr& a : addrs) {
                if (!mine.insert(a).second) continue;
                auto [it, fresh] = owner.emplace(std::pair(e.vpc, a), &e);
                if (fresh) continue;
                add(Severity::Error, "duplicate-address", e.id,
                    a.str() + " is also a private address of " + it->second->id + " in " + vpc_id(e.vpc) +
                        ": AWS never gives one address to two interfaces of a VPC, so the export is "
                        "inconsistent and packets to it cannot be delivered unambiguously");
            }
        }
    }

    // ---- route-target-missing / route-target-not-exported ------------------------------
    // Whether the target of `r` is in the export; `kind_seen` says whether the export holds
    // any object of that kind. Returns false for kinds vpcfw does not model (nothing to check).
    bool target_checkable(const Route& r, bool& present, bool& kind_seen, std::string& kind_name) const {
        kind_name = target_kind_name(r.kind);
        switch (r.kind) {
        case TargetKind::InternetGateway:
            present = net_.internet_gateway(r.target) != nullptr;
            kind_seen = !net_.internet_gateways.empty();
            return true;
        case TargetKind::EgressOnlyIgw:
            present = net_.egress_only_gateway(r.target) != nullptr;
            kind_seen = !net_.egress_only_gateways.empty();
            return true;
        case TargetKind::NatGateway:
            present = net_.nat_gateway(r.target) != nullptr;
            kind_seen = !net_.nat_gateways.empty();
            return true;
        case TargetKind::NetworkInterface:
            // The loader resolves an InstanceId target to the instance's primary ENI; when it
            // could not, the target is the instance id.
            present = net_.eni(r.target) != nullptr;
            kind_seen = !net_.enis.empty();
            return true;
        case TargetKind::Peering:
            present = net_.peering(r.target) != nullptr;
            kind_seen = !net_.peerings.empty();
            return true;
        case TargetKind::TransitGateway:
            present = net_.transit_gateway(r.target) != nullptr;
            kind_seen = !net_.transit_gateways.empty();
            return true;
        case TargetKind::VpnGateway:
            present = net_.vpn_gateway(r.target) != nullptr;
            kind_seen = !net_.vpn_gateways.empty();
            return true;
        case TargetKind::VpcEndpoint:
            present = net_.endpoint(r.target) != nullptr || net_.firewall_endpoint(r.target).first != kNoFw;
            kind_seen = !net_.endpoints.empty();
            return true;
        default: return false; // local, Outposts, Wavelength, Cloud WAN, unknown
        }
    }

    void route_targets() {
        for (const RouteTable& t : net_.route_tables)
            for (const Route& r : t.routes) {
                if (r.state != "active" || r.target.empty()) continue;
                bool present = false, kind_seen = false;
                std::string kind;
                if (!target_checkable(r, present, kind_seen, kind) || present) continue;
                std::string what = "route " + r.dest_str() + " -> " + r.target;
                if (kind_seen)
                    add(Severity::Error, "route-target-missing", t.id,
                        what + " is active but " + r.target + " is not in the export (a deleted target would make "
                               "the route a blackhole): vpcfw drops what AWS forwards on this route");
                else
                    add(Severity::Warning, "route-target-not-exported", t.id,
                        what + ": the export holds no " + kind + " at all, so vpcfw drops what this route "
                               "forwards; add that describe output to the export");
            }
    }

    // ---- subnet-no-route-table / subnet-no-nacl / nacl-missing ------------------------
    void subnet_associations() {
        for (Idx s = 0; s < net_.subnets.size(); ++s) {
            const Subnet& sub = net_.subnets[s];
            if (net_.route_table_of_subnet(s) == kNone)
                add(Severity::Error, "subnet-no-route-table", sub.id,
                    "no route table is associated with the subnet and " + vpc_id(sub.vpc) +
                        " has no main route table in the export: every packet leaving the subnet is dropped");
            Idx acl = net_.nacl_of_subnet(s);
            if (acl != kNone && is_missing_nacl_default(net_.network_acls[acl]))
                add(Severity::Warning, "nacl-missing", sub.id,
                    "no network ACL of " + vpc_id(sub.vpc) + " is in the export: vpcfw gives the subnet AWS's "
                    "default NACL " + net_.network_acls[acl].id + " (allow all in and out; docs/semantics.md §5 "
                    "CHOICE missing_nacl_default); add describe-network-acls output to judge by the real one");
            if (acl == kNone)
                add(Severity::Error, "subnet-no-nacl", sub.id,
                    "no network ACL is associated with the subnet and " + vpc_id(sub.vpc) +
                        " has no default network ACL in the export: every packet entering or leaving the subnet "
                        "is dropped");
        }
    }

    // ---- endpoint-unused ---------------------------------------------------------------
    static std::string lower(std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

    void endpoints_unused() {
        std::set<std::string> routed;
        for (const RouteTable& t : net_.route_tables)
            for (const Route& r : t.routes)
                if (!r.dest_prefix_list.empty() && !r.target.empty()) routed.insert(r.target);
        for (const VpcEndpoint& ep : net_.endpoints) {
            if (lower(ep.type) != "gateway" || routed.count(ep.id)) continue;
            add(Severity::Warning, "endpoint-unused", ep.id,
                "gateway endpoint for " + (ep.service_name.empty() ? std::string("?") : ep.service_name) +
                    " has no prefix-list route in any route table: no traffic can use it");
        }
    }

    // ---- eip-unassociated --------------------------------------------------------------
    void eips_unassociated() {
        for (const ElasticIp& e : net_.elastic_ips) {
            if (!e.association_id.empty() || !e.eni_id.empty() || !e.instance_id.empty()) continue;
            std::string obj = e.allocation_id.empty() ? e.public_ip.str() : e.allocation_id;
            add(Severity::Warning, "eip-unassociated", obj,
                "Elastic IP " + e.public_ip.str() +
                    " is allocated but not associated; since 2024-02-01 AWS bills every public IPv4 address "
                    "$0.005 per hour (about $3.65 a month), so associate it or release it");
        }
    }

    // ---- NACL helpers ------------------------------------------------------------------

    // What an entry matches, with AWS's special cases resolved (docs/semantics.md §5): proto -1 = all;
    // 58 with an IPv4 CIDR = all ICMP; ports only for 6/17; type/code only for ICMP.
    struct EntryMatch {
        int proto = kProtoAll;
        int lo = 0, hi = 65535;     // tcp/udp ports
        int type = -1, code = -1;   // icmp
    };

    static EntryMatch match_of(const NaclEntry& e) {
        EntryMatch m;
        m.proto = e.proto;
        if (e.proto == kProtoIcmpv6 && e.cidr.family() == Family::V4) {
            m.proto = kProtoIcmp;
        } else if (e.proto == kProtoTcp || e.proto == kProtoUdp) {
            if (e.port_from != -1) {
                m.lo = e.port_from;
                m.hi = e.port_to == -1 ? e.port_from : e.port_to;
            }
        } else if (e.proto == kProtoIcmp || e.proto == kProtoIcmpv6) {
            m.type = e.icmp_type;
            m.code = e.icmp_type == -1 ? -1 : e.icmp_code;
        }
        return m;
    }

    // Whether every packet entry `b` matches is matched by entry `a` too.
    static bool covers(const NaclEntry& a, const NaclEntry& b) {
        if (a.egress != b.egress || a.cidr.family() != b.cidr.family() || !a.cidr.contains(b.cidr)) return false;
        EntryMatch x = match_of(a), y = match_of(b);
        if (x.proto == kProtoAll) return true;
        if (x.proto != y.proto) return false;
        if (x.proto == kProtoTcp || x.proto == kProtoUdp) return x.lo <= y.lo && y.hi <= x.hi;
        if (x.proto == kProtoIcmp || x.proto == kProtoIcmpv6) {
            if (x.type == -1) return true;
            if (y.type != x.type) return false;
            return x.code == -1 || y.code == x.code;
        }
        return true;
    }

    static std::string rule_name(const NaclEntry& e) {
        return e.is_default_deny() ? std::string("*") : std::to_string(e.rule_number);
    }

    static std::string proto_text(int p) {
        switch (p) {
        case kProtoAll: return "all";
        case kProtoTcp: return "tcp";
        case kProtoUdp: return "udp";
        case kProtoIcmp: return "icmp";
        case kProtoIcmpv6: return "icmpv6";
        default: return "proto " + std::to_string(p);
        }
    }

    static std::string entry_text(const NaclEntry& e) {
        std::string s = (e.allow ? "allow " : "deny ") + proto_text(e.proto);
        if ((e.proto == kProtoTcp || e.proto == kProtoUdp) && e.port_from != -1) {
            s += "/" + std::to_string(e.port_from);
            if (e.port_to != e.port_from && e.port_to != -1) s += "-" + std::to_string(e.port_to);
        } else if ((e.proto == kProtoIcmp || e.proto == kProtoIcmpv6) && e.icmp_type != -1) {
            s += "/" + std::to_string(e.icmp_type) + ":" + std::to_string(e.icmp_code);
        }
        return s + (e.egress ? " to " : " from ") + e.cidr.str();
    }

    static const char* dir_text(bool egress) { return egress ? "outbound" : "inbound"; }

    // The entries of one direction in evaluation order.
    static std::vector<const NaclEntry*> direction(const NetworkAcl& acl, bool egress) {
        std::vector<const NaclEntry*> v;
        for (const NaclEntry& e : acl.entries)
            if (e.egress == egress) v.push_back(&e);
        std::stable_sort(v.begin(), v.end(),
                         [](const NaclEntry* a, const NaclEntry* b) { return a->rule_number < b->rule_number; });
        return v;
    }

    // A set of ports as disjoint closed intervals.
    using Ports = std::vector<std::pair<int, int>>;

    static bool overlaps(const Ports& set, int lo, int hi) {
        for (auto [a, b] : set)
            if (a <= hi && lo <= b) return true;
        return false;
    }

    static void subtract(Ports& set, int lo, int hi) {
        Ports out;
        for (auto [a, b] : set) {
            if (b < lo || a > hi) {
                out.emplace_back(a, b);
                continue;
            }
            if (a < lo) out.emplace_back(a, lo - 1);
            if (b > hi) out.emplace_back(hi + 1, b);
        }
        set = std::move(out);
    }

    // Whether entry `e` matches packets of protocol `proto` (6 or 17) with remote `addr`;
    // `lo..hi` receives the destination ports it matches.
    static bool matches(const NaclEntry& e, int proto, const IpAddr& addr, int& lo, int& hi) {
        if (e.cidr.family() != addr.family || !e.cidr.contains(addr)) return false;
        EntryMatch m = match_of(e);
        if (m.proto != kProtoAll && m.proto != proto) return false;
        lo = m.lo;
        hi = m.hi;
        return true;
    }

    // Whether the first-match evaluation of `dir` denies every packet of `proto` to/from
    // `addr` with a destination port in the ephemeral range; `deciders` names the rules.
    static bool denies_all_returns(const std::vector<const NaclEntry*>& dir, int proto, const IpAddr& addr,
                                   std::vector<std::string>& deciders) {
        Ports open{{kEphemeralLo, kEphemeralHi}};
        deciders.clear();
        for (const NaclEntry* x : dir) {
            int lo, hi;
            if (!matches(*x, proto, addr, lo, hi) || !overlaps(open, lo, hi)) continue;
            if (x->allow) return false;
            deciders.push_back(rule_name(*x));
            subtract(open, lo, hi);
            if (open.empty()) return true;
        }
        if (std::find(deciders.begin(), deciders.end(), "*") == deciders.end()) deciders.push_back("*");
        return true; // the rest falls to the `*` deny (explicit or implicit)
    }

    // Addresses of `within` at which the match result of the given CIDRs can change: the
    // first address of each elementary block. Every address of a block behaves like its first.
    static std::vector<IpAddr> sample_addresses(const Cidr& within, const std::vector<Cidr>& cidrs) {
        std::vector<IpAddr> pts{within.base};
        for (const Cidr& c : cidrs) {
            if (c.family() != within.family() || !c.overlaps(within)) continue;
            if (within.contains(c.base)) pts.push_back(c.base);
            IpAddr after = c.last().plus(1);
            if (after > c.last() && within.contains(after)) pts.push_back(after);
        }
        std::sort(pts.begin(), pts.end());
        pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
        return pts;
    }

    static bool service_rule(const NaclEntry& e) {
        if (!e.allow || e.is_default_deny()) return false;
        if (e.proto != kProtoTcp && e.proto != kProtoUdp) return false;
        if (e.port_from == -1) return false;
        int hi = e.port_to == -1 ? e.port_from : e.port_to;
        if (e.port_from == 0 && hi == 65535) return false;
        return hi - e.port_from + 1 <= kMaxServiceRangeWidth;
    }

    static std::string join(const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    }

    // What one service rule's check found over the peer blocks inside its CIDR.
    struct ReturnCheck {
        size_t blocks = 0;           // elementary peer blocks inside the rule's CIDR
        size_t blocked = 0;          // of which: forward traffic reaches the rule, returns all denied
        std::string example;         // first blocked block's address
        std::vector<std::string> deciders;
    };

    // The address space of one family is cut into elementary blocks by every CIDR of both
    // directions; inside a block every entry matches all addresses or none. For each block,
    // one first-match walk of the forward direction finds the service rules that some packet
    // reaches, and one walk of the other direction decides the return packets. That is
    // O(blocks x entries), not O(rules x blocks x entries).
    void check_returns(const std::vector<const NaclEntry*>& fwd, const std::vector<const NaclEntry*>& back,
                       int proto, Family fam, std::map<const NaclEntry*, ReturnCheck>& result) {
        std::vector<const NaclEntry*> services;
        for (const NaclEntry* e : fwd)
            if (service_rule(*e) && e->proto == proto && e->cidr.family() == fam) services.push_back(e);
        if (services.empty()) return;
        std::vector<Cidr> cidrs;
        for (const auto* list : {&fwd, &back})
            for (const NaclEntry* x : *list) cidrs.push_back(x->cidr);
        Cidr all{IpAddr::parse(fam == Family::V4 ? "0.0.0.0" : "::").value(), 0};
        std::vector<IpAddr> samples = sample_addresses(all, cidrs); // sorted
        for (const NaclEntry* e : services) {
            auto lo = std::lower_bound(samples.begin(), samples.end(), e->cidr.base);
            auto hi = std::upper_bound(samples.begin(), samples.end(), e->cidr.last());
            result[e].blocks = static_cast<size_t>(hi - lo);
        }
        std::vector<std::string> deciders;
        for (const IpAddr& a : samples) {
            if (!denies_all_returns(back, proto, a, deciders)) continue;
            Ports open{{0, 65535}};
            for (const NaclEntry* x : fwd) {
                int lo, hi;
                if (!matches(*x, proto, a, lo, hi) || !overlaps(open, lo, hi)) continue;
                if (service_rule(*x) && x->proto == proto) {
                    ReturnCheck& r = result[x];
                    if (r.blocked++ == 0) {
                        r.example = a.str();
                        r.deciders = deciders;
                    }
                }
                subtract(open, lo, hi);
                if (open.empty()) break;
            }
        }
    }

    void nacl_blocks_return(const NetworkAcl& acl) {
        for (bool egress : {false, true}) {
            auto fwd = direction(acl, egress);
            auto back = direction(acl, !egress);
            std::map<const NaclEntry*, ReturnCheck> result;
            for (int proto : {kProtoTcp, kProtoUdp})
                for (Family fam : {Family::V4, Family::V6}) check_returns(fwd, back, proto, fam, result);
            for (const NaclEntry* e : fwd) {
                auto it = result.find(e);
                if (it == result.end() || it->second.blocked == 0) continue;
                const ReturnCheck& r = it->second;
                std::string peer = r.blocked == r.blocks ? e->cidr.str()
                                                          : "part of " + e->cidr.str() + " (e.g. " + r.example + ")";
                add(Severity::Warning, "nacl-blocks-return", acl.id,
                    std::string(dir_text(egress)) + " rule " + rule_name(*e) + " (" + entry_text(*e) +
                        ") admits traffic, but the " + dir_text(!egress) + " rules deny every return packet " +
                        (egress ? "from " : "to ") + peer + " on ports " + std::to_string(kEphemeralLo) + "-" +
                        std::to_string(kEphemeralHi) + " (decided by " + join(r.deciders) +
                        "); NACLs are stateless: allow the ephemeral ports " + dir_text(!egress));
            }
        }
    }

    void nacl_shadowed(const NetworkAcl& acl) {
        for (bool egress : {false, true}) {
            auto dir = direction(acl, egress);
            for (size_t i = 0; i < dir.size(); ++i) {
                const NaclEntry& b = *dir[i];
                if (b.is_default_deny()) continue; // `*` ends every list; being covered is normal
                for (size_t j = 0; j < i; ++j) {
                    const NaclEntry& a = *dir[j];
                    if (a.rule_number >= b.rule_number || !covers(a, b)) continue;
                    add(Severity::Warning, "nacl-shadowed-entry", acl.id,
                        std::string(dir_text(egress)) + " rule " + rule_name(b) + " (" + entry_text(b) +
                            ") can never match: rule " + rule_name(a) + " (" + entry_text(a) +
                            ") comes first and covers it");
                    break;
                }
            }
        }
    }

    void nacl_quota(const NetworkAcl& acl) {
        for (bool egress : {false, true})
            for (Family f : {Family::V4, Family::V6}) {
                int numbered = 0;
                for (const NaclEntry& e : acl.entries)
                    if (e.egress == egress && e.cidr.family() == f && !e.is_default_deny()) ++numbered;
                int total = numbered + 1; // the `*` deny counts, exported or not
                if (numbered == 0 || total <= kQuotaNaclEntries) continue;
                add(Severity::Warning, "quota-nacl-entries", acl.id,
                    std::to_string(total) + " " + dir_text(egress) + (f == Family::V4 ? " IPv4" : " IPv6") +
                        " entries (with the * deny) exceed AWS's quota of " + std::to_string(kQuotaNaclEntries) +
                        " per direction and family (adjustable to 40)");
            }
    }

    void nacl_findings() {
        for (const NetworkAcl& acl : net_.network_acls) {
            nacl_blocks_return(acl);
            nacl_shadowed(acl);
            nacl_quota(acl);
        }
    }

    // ---- quotas --------------------------------------------------------------------------

    // A reference to a customer-managed prefix list counts as its MaxEntries (docs/aws-facts.md §1.5,
    // §11); AWS-managed lists and unknown lists count as one.
    int prefix_list_weight(const std::string& id) const {
        const PrefixList* pl = net_.prefix_list(id);
        if (pl && pl->owner != "AWS" && pl->max_entries > 0) return pl->max_entries;
        return 1;
    }

    Family prefix_list_family(const std::string& id) const {
        const PrefixList* pl = net_.prefix_list(id);
        return pl && lower(pl->family) == "ipv6" ? Family::V6 : Family::V4;
    }

    void sg_rule_quota(const SecurityGroup& g, const std::vector<SgRule>& rules, bool egress) {
        int count[2] = {0, 0}; // IPv4, IPv6
        for (const SgRule& r : rules) {
            switch (r.peer) {
            case PeerKind::Cidr: ++count[r.cidr.family() == Family::V6]; break;
            case PeerKind::PrefixList:
                count[prefix_list_family(r.prefix_list) == Family::V6] += prefix_list_weight(r.prefix_list);
                break;
            case PeerKind::Group: ++count[0]; break; // group references count with IPv4
            }
        }
        for (int fam = 0; fam < 2; ++fam)
            if (count[fam] > kQuotaSgRules)
                add(Severity::Warning, "quota-sg-rules", g.id,
                    std::to_string(count[fam]) + (egress ? " outbound " : " inbound ") + (fam ? "IPv6" : "IPv4") +
                        " rules exceed AWS's quota of " + std::to_string(kQuotaSgRules) +
                        " per security group, direction and family");
    }

    void quotas() {
        for (const SecurityGroup& g : net_.security_groups) {
            sg_rule_quota(g, g.ingress, false);
            sg_rule_quota(g, g.egress, true);
        }
        for (const Eni& e : net_.enis)
            if (e.groups.size() > static_cast<size_t>(kQuotaSgsPerEni))
                add(Severity::Warning, "quota-sgs-per-eni", e.id,
                    std::to_string(e.groups.size()) + " security groups exceed AWS's quota of " +
                        std::to_string(kQuotaSgsPerEni) + " per network interface (adjustable to 16)");
        for (const RouteTable& t : net_.route_tables) {
            int count[2] = {0, 0};
            for (const Route& r : t.routes) {
                if (r.propagated()) continue;
                if (r.dest) ++count[r.dest->family() == Family::V6];
                else count[prefix_list_family(r.dest_prefix_list) == Family::V6] += prefix_list_weight(r.dest_prefix_list);
            }
            for (int fam = 0; fam < 2; ++fam)
                if (count[fam] > kQuotaRoutes)
                    add(Severity::Warning, "quota-routes", t.id,
                        std::to_string(count[fam]) + " non-propagated " + (fam ? "IPv6" : "IPv4") +
                            " routes exceed AWS's quota of " + std::to_string(kQuotaRoutes) +
                            " per route table (adjustable to 1000)");
        }
        std::map<std::string, int> per_tgw;
        for (const TgwRouteTable& t : net_.tgw_route_tables) ++per_tgw[t.tgw_id];
        for (const auto& [tgw, n] : per_tgw)
            if (n > kQuotaTgwRouteTables)
                add(Severity::Warning, "quota-tgw-route-tables", tgw,
                    std::to_string(n) + " route tables exceed AWS's quota of " + std::to_string(kQuotaTgwRouteTables) +
                        " per transit gateway");
    }

    // ---- route-prefix-list-overlap -----------------------------------------------------
    void prefix_list_overlaps() {
        for (const RouteTable& t : net_.route_tables) {
            std::vector<const Route*> pl;
            for (const Route& r : t.routes)
                if (!r.dest && !r.dest_prefix_list.empty()) pl.push_back(&r);
            std::sort(pl.begin(), pl.end(),
                      [](const Route* a, const Route* b) { return a->dest_prefix_list < b->dest_prefix_list; });
            for (size_t i = 0; i < pl.size(); ++i)
                for (size_t j = i + 1; j < pl.size(); ++j) {
                    const Route& a = *pl[i];
                    const Route& b = *pl[j];
                    if (a.target == b.target || a.dest_prefix_list == b.dest_prefix_list) continue;
                    const PrefixList* la = net_.prefix_list(a.dest_prefix_list);
                    const PrefixList* lb = net_.prefix_list(b.dest_prefix_list);
                    if (!la || !lb) continue;
                    const Cidr* shared = nullptr;
                    for (const Cidr& x : la->entries) {
                        if (std::find(lb->entries.begin(), lb->entries.end(), x) != lb->entries.end()) {
                            shared = &x;
                            break;
                        }
                    }
                    if (!shared) continue;
                    add(Severity::Warning, "route-prefix-list-overlap", t.id,
                        a.dest_prefix_list + " (-> " + a.target + ") and " + b.dest_prefix_list + " (-> " + b.target +
                            ") both list " + shared->str() + ": AWS picks one target at random; vpcfw uses " +
                            a.dest_prefix_list + " (the lower prefix-list id)");
                }
        }
    }

    // ---- sg-missing-group / sg-open-admin-port -------------------------------------------
    struct AdminPort {
        int port;
        const char* name;
    };

    static std::string admin_ports_covered(const SgRule& r) {
        static const AdminPort kAdmin[] = {
            {22, "SSH"}, {23, "Telnet"}, {3389, "RDP"}, {5985, "WinRM"}, {5986, "WinRM over HTTPS"},
        };
        if (r.proto != kProtoAll && r.proto != kProtoTcp) return {};
        std::string s;
        for (const AdminPort& a : kAdmin) {
            bool in = r.proto == kProtoAll || r.from_port == -1 || (r.from_port <= a.port && a.port <= r.to_port);
            if (in) s += (s.empty() ? "" : ", ") + std::string(a.name) + " (" + std::to_string(a.port) + ")";
        }
        return s;
    }

    void sg_groups_and_admin_ports() {
        for (const SecurityGroup& g : net_.security_groups) {
            for (bool egress : {false, true})
                for (const SgRule& r : egress ? g.egress : g.ingress) {
                    if (r.peer != PeerKind::Group || r.group_id.empty() || net_.security_group(r.group_id)) continue;
                    std::string where;
                    if (!r.group_vpc.empty() && (g.vpc == kNone || r.group_vpc != vpc_id(g.vpc)))
                        where = " (in " + r.group_vpc + (r.peering_id.empty() ? "" : " over " + r.peering_id) + ")";
                    add(Severity::Warning, "sg-missing-group", g.id,
                        std::string(egress ? "egress" : "ingress") + " rule " + r.proto_ports_str() +
                            (egress ? " to " : " from ") + r.group_id + where +
                            " names a group that is not in the export: the rule matches nothing (a stale "
                            "reference; remove it, or add the group's VPC to the export)");
                }
            for (const SgRule& r : g.ingress) {
                if (r.peer != PeerKind::Cidr || !r.cidr.is_any()) continue;
                std::string ports = admin_ports_covered(r);
                if (ports.empty()) continue;
                add(Severity::Warning, "sg-open-admin-port", g.id,
                    "ingress rule " + r.proto_ports_str() + " from " + r.cidr.str() + " opens " + ports +
                        " to the whole internet; restrict the source");
            }
        }
    }

    // ---- route-blackhole ---------------------------------------------------------------
    void blackholes() {
        for (const RouteTable& t : net_.route_tables)
            for (const Route& r : t.routes)
                if (r.state == "blackhole")
                    add(Severity::Info, "route-blackhole", t.id,
                        "route " + r.dest_str() + " -> " + (r.target.empty() ? std::string("?") : r.target) +
                            " is a blackhole (its target was deleted or detached): matching packets are dropped");
    }
};

} // namespace

std::vector<Finding> lint_network(const Network& net) {
    return Linter(net).run();
}

} // namespace vpcfw
