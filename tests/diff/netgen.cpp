// The random network generator of the differential suite: a plan of VPCs, subnets, ENIs and
// gateways drawn from a seed, then written out as describe-* JSON (the keys and shapes of
// examples/network.json; sometimes without a VPC's NACLs, as real exports are) and loaded
// back through the real loader.
#include "tests/diff/netgen.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "ruleset/loader.hpp"

namespace vpcfw::diff {
namespace {

using json = nlohmann::json;

std::string fmt(const char* f, int a) {
    char b[64];
    std::snprintf(b, sizeof b, f, a);
    return b;
}
std::string fmt(const char* f, int a, int c) {
    char b[64];
    std::snprintf(b, sizeof b, f, a, c);
    return b;
}
std::string fmt(const char* f, int a, int c, int d) {
    char b[64];
    std::snprintf(b, sizeof b, f, a, c, d);
    return b;
}

const char* kOwner = "111122223333";

json name_tags(const std::string& name) { return json::array({{{"Key", "Name"}, {"Value", name}}}); }

// ---- the plan ---------------------------------------------------------------------------

struct PlanSubnet {
    int vpc = 0;                 // index into vpcs
    std::string id, az, cidr4, base4, cidr6, base6;
    int nacl = -1;               // index into nacls (-1: the VPC default)
    int rtb = -1;                // index into rtbs (-1: the VPC main)
    std::vector<int> enis;
};

struct PlanEni {
    std::string id;
    int subnet = 0;
    std::string type = "interface";
    bool requester_managed = false;
    std::vector<std::string> ips;        // [0] primary
    std::vector<std::string> auto_public;// per private IP: auto-assigned public IP or ""
    std::vector<std::string> v6;
    std::string prefix4;
    std::vector<std::string> groups;
    bool sdc = true;
    bool deny_igw = false;
    int instance = -1;                   // index into instances; -1 detached / managed
    int device = -1;
    json ct;                             // ConnectionTrackingConfiguration or null
    std::string description;
};

struct PlanInstance {
    std::string id, az, state = "running";
    int subnet = 0;
    std::vector<int> enis;
};

struct PlanVpc {
    int n = 0;                   // 1-based number in addresses
    std::string id, cidr4, extra4, cidr6;
    std::vector<int> subnets;
    std::vector<std::string> sgs;
    std::string igw, eigw, vgw;  // attached gateways ("" none)
    std::vector<int> nats;       // indexes into nats
    std::string gw_endpoint, if_endpoint, gwlb_endpoint;
    int main_rtb = -1;
    int default_nacl = -1;
};

struct PlanNat {
    std::string id, eni, private_ip, public_ip, alloc, state = "available";
    int vpc = 0, subnet = 0;
    bool is_private = false;
};

struct PlanPeering {
    std::string id, status = "active";
    int a = 0, b = 0;            // requester, accepter (vpc indexes)
    std::string region_b = "us-east-1";
};

struct PlanAttachment {
    std::string id, type = "vpc", resource, state = "available", rtb;
    int vpc = -1;
    std::vector<std::string> subnets;
    bool appliance = false;
};

class Generator {
public:
    // rng2_ draws only the later additions (BGP attachments), so that the networks of a
    // seed stay as they were apart from them.
    explicit Generator(uint64_t seed) : rng_(seed), rng2_(seed * 0x2545f4914f6cdd1dull + 13) {}

    json run() {
        plan_vpcs();
        plan_subnets();
        plan_groups();
        plan_gateways();
        plan_enis();
        plan_nats();
        plan_endpoints();
        plan_peerings();
        plan_tgw();
        plan_vgw();
        emit_vpcs();
        emit_subnets();
        emit_groups();
        emit_enis();
        emit_addresses();
        emit_gateways();
        emit_nats();
        emit_peerings();
        emit_tgw();
        emit_vgw();
        emit_endpoints();
        emit_prefix_lists();
        emit_nacls();
        emit_route_tables();
        return out_;
    }

    Settings settings() {
        Settings s;
        if (!rng_.chance(0.3)) return s;
        switch (rng_.below(10)) {
        case 0: s.conntrack_capacity_per_eni = static_cast<size_t>(rng_.range(3, 8)); break;
        case 1: s.untracked_flows = false; break;
        case 2: s.icmp_errors_need_rule = false; break;
        case 3: s.capture_at_instance = false; break;
        case 4: s.nat_max_flows_per_destination = rng_.range(1, 3); break;
        case 5: s.udp_stream_packets_each_way = rng_.range(1, 3); break;
        case 6: s.tcp_transitory_timeout = 60; s.icmp_timeout = 10; s.other_timeout = 100; break;
        case 7: s.fragment_window = 5; break;
        case 8: s.nat_idle_tcp = 100; s.nat_port_min = 2000; break;
        case 9:
            s.missing_nacl_default = rng_.chance(0.5);
            s.tgw_bgp_any_destination = rng_.chance(0.5);
            s.conntrack_capacity_per_eni = 4;
            break;
        default: s.conntrack_capacity_per_eni = static_cast<size_t>(rng_.range(2, 6)); break;
        }
        return s;
    }

private:
    Rng rng_;
    Rng rng2_;
    // §8 CHOICE tgw_bgp_any_destination: TGW attachments whose routes are learned by BGP
    // (a Direct Connect gateway, a dynamic VPN), kept apart from atts_ (see rng2_).
    std::vector<PlanAttachment> bgp_atts_;
    json out_ = json::object();
    std::vector<std::string> azs_;
    std::vector<PlanVpc> vpcs_;
    std::vector<PlanSubnet> subnets_;
    std::vector<PlanEni> enis_;
    std::vector<PlanInstance> instances_;
    std::vector<PlanNat> nats_;
    std::vector<PlanPeering> peerings_;
    std::vector<PlanAttachment> atts_;
    std::vector<std::string> tgw_rtbs_;
    std::string tgw_, vpn_tgw_;
    struct Eip {
        std::string alloc, ip, eni, private_ip, assoc;
    };
    std::vector<Eip> eips_;
    std::vector<std::string> vpn_routes_vgw_;
    bool vgw_bgp_ = false;
    int vgw_vpc_ = -1;
    std::string pl_cust4_ = "pl-0c0000000000001", pl_cust6_ = "pl-0c0000000000006";
    std::vector<std::string> pl_cust4_entries_;
    int next_eip_ = 1;

    // ---- planning -------------------------------------------------------------------

    void plan_vpcs() {
        int naz = rng_.range(2, 3);
        for (int i = 0; i < naz; ++i) azs_.push_back(std::string("us-east-1") + char('a' + i));
        int nv = rng_.range(2, 4);
        for (int i = 0; i < nv; ++i) {
            PlanVpc v;
            v.n = i + 1;
            v.id = fmt("vpc-0a%02d", v.n);
            v.cidr4 = fmt("10.%d.0.0/16", v.n);
            if (rng_.chance(0.2)) v.extra4 = fmt("100.64.%d.0/24", v.n);
            if (rng_.chance(0.6)) v.cidr6 = fmt("2600:1f18:0:%d00::/56", v.n);
            vpcs_.push_back(v);
        }
    }

    void plan_subnets() {
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            PlanVpc& v = vpcs_[vi];
            int ns = rng_.range(2, 4);
            for (int j = 1; j <= ns; ++j) {
                PlanSubnet s;
                s.vpc = vi;
                s.id = fmt("subnet-0%d%02d", v.n, j);
                s.az = j <= int(azs_.size()) ? azs_[j - 1] : rng_.pick(azs_);
                if (!v.extra4.empty() && j == ns && j > 2) {
                    s.cidr4 = v.extra4;
                    s.base4 = fmt("100.64.%d.", v.n);
                } else {
                    s.cidr4 = fmt("10.%d.%d.0/24", v.n, j);
                    s.base4 = fmt("10.%d.%d.", v.n, j);
                }
                if (!v.cidr6.empty() && rng_.chance(0.8)) {
                    s.cidr6 = fmt("2600:1f18:0:%d%02d::/64", v.n, j);
                    s.base6 = fmt("2600:1f18:0:%d%02d::", v.n, j);
                }
                v.subnets.push_back(int(subnets_.size()));
                subnets_.push_back(s);
            }
        }
    }

    void plan_groups() {
        for (auto& v : vpcs_) {
            int ng = rng_.range(2, 4);
            for (int g = 0; g < ng; ++g) v.sgs.push_back(fmt("sg-0a%d%02d", v.n, g));
        }
    }

    void plan_gateways() {
        for (auto& v : vpcs_) {
            if (rng_.chance(0.85)) v.igw = fmt("igw-0a%02d", v.n);
            if (!v.cidr6.empty() && rng_.chance(0.7)) v.eigw = fmt("eigw-0a%02d", v.n);
        }
    }

    std::string new_eip(const std::string& eni, const std::string& private_ip) {
        Eip e;
        e.alloc = fmt("eipalloc-0e%04d", next_eip_);
        e.ip = fmt("203.0.113.%d", next_eip_);
        ++next_eip_;
        e.eni = eni;
        e.private_ip = private_ip;
        if (!eni.empty()) e.assoc = "eipassoc-" + e.alloc.substr(9);
        eips_.push_back(e);
        return e.ip;
    }

    void plan_enis() {
        for (int si = 0; si < int(subnets_.size()); ++si) {
            PlanSubnet& s = subnets_[si];
            PlanVpc& v = vpcs_[s.vpc];
            int ne = rng_.range(1, 3);
            for (int k = 0; k < ne; ++k) {
                PlanEni e;
                e.id = fmt("eni-0%d%02d%02d", v.n, si % 100, k);
                e.subnet = si;
                e.ips.push_back(s.base4 + std::to_string(10 + k));
                if (rng_.chance(0.3)) e.ips.push_back(s.base4 + std::to_string(50 + k));
                e.auto_public.assign(e.ips.size(), "");
                if (rng_.chance(0.3)) e.auto_public[0] = fmt("54.200.%d.%d", v.n, si * 8 + k + 1);
                if (!s.base6.empty() && rng_.chance(0.75)) {
                    e.v6.push_back(s.base6 + fmt("%x", 0x10 + k));
                    if (rng_.chance(0.2)) e.v6.push_back(s.base6 + fmt("%x", 0x50 + k));
                }
                if (rng_.chance(0.06)) e.prefix4 = s.base4 + std::to_string(160 + 16 * k) + "/28";
                e.groups.push_back(rng_.pick(v.sgs));
                if (rng_.chance(0.4)) {
                    std::string g = rng_.pick(v.sgs);
                    if (g != e.groups[0]) e.groups.push_back(g);
                }
                e.sdc = !rng_.chance(0.2);
                e.deny_igw = rng_.chance(0.03);
                if (rng_.chance(0.1)) {
                    e.ct = {{"TcpEstablishedTimeout", rng_.pick(std::vector<int>{60, 350, 432000})},
                            {"UdpStreamTimeout", rng_.pick(std::vector<int>{60, 180})},
                            {"UdpTimeout", rng_.pick(std::vector<int>{30, 60})}};
                }
                int ei = int(enis_.size());
                // Attachment: its own instance (usually), a second ENI of an instance in the
                // same AZ, or detached.
                double r = static_cast<double>(rng_.below(100)) / 100.0;
                if (r < 0.08) {
                    e.instance = -1;
                } else {
                    int same_az = -1;
                    if (r < 0.22)
                        for (int ii = 0; ii < int(instances_.size()); ++ii)
                            if (instances_[ii].az == s.az && instances_[ii].enis.size() < 3 &&
                                subnets_[instances_[ii].subnet].vpc == s.vpc)
                                same_az = ii;
                    if (same_az >= 0) {
                        e.instance = same_az;
                        e.device = int(instances_[same_az].enis.size());
                        instances_[same_az].enis.push_back(ei);
                    } else {
                        PlanInstance in;
                        in.id = fmt("i-0%d%02d%02d", v.n, si % 100, k);
                        in.az = s.az;
                        in.subnet = si;
                        if (rng_.chance(0.07)) in.state = "stopped";
                        in.enis.push_back(ei);
                        e.instance = int(instances_.size());
                        e.device = 0;
                        instances_.push_back(in);
                    }
                }
                // Elastic IPs: on the primary or a secondary private IP.
                if (rng_.chance(0.3)) {
                    size_t slot = rng_.below(static_cast<uint32_t>(e.ips.size()));
                    std::string ip = new_eip(e.id, e.ips[slot]);
                    e.auto_public[slot] = "";
                    (void)ip;
                }
                s.enis.push_back(ei);
                enis_.push_back(e);
            }
        }
        // Unassociated Elastic IPs (AssociateAddress moves them around).
        int free = rng_.range(1, 3);
        for (int i = 0; i < free; ++i) new_eip("", "");
    }

    void plan_nats() {
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            PlanVpc& v = vpcs_[vi];
            auto add = [&](bool priv) {
                PlanNat n;
                n.vpc = vi;
                n.subnet = v.subnets[priv ? v.subnets.size() - 1 : 0];
                n.is_private = priv;
                n.id = fmt(priv ? "nat-0b%02d" : "nat-0a%02d", v.n);
                n.eni = fmt(priv ? "eni-0b0%02d" : "eni-0a0%02d", v.n);
                n.private_ip = subnets_[n.subnet].base4 + (priv ? "6" : "5");
                if (!priv) {
                    n.public_ip = new_eip(n.eni, n.private_ip);
                    n.alloc = eips_.back().alloc;
                }
                if (rng_.chance(0.08)) n.state = rng_.chance(0.5) ? "pending" : "deleted";
                PlanEni e;
                e.id = n.eni;
                e.subnet = n.subnet;
                e.type = "nat_gateway";
                e.requester_managed = true;
                e.sdc = false;
                e.ips = {n.private_ip};
                e.auto_public = {""};
                e.description = "Interface for NAT Gateway " + n.id;
                subnets_[n.subnet].enis.push_back(int(enis_.size()));
                enis_.push_back(e);
                v.nats.push_back(int(nats_.size()));
                nats_.push_back(n);
            };
            if (rng_.chance(0.65)) add(false);
            if (rng_.chance(0.2)) add(true);
        }
    }

    void plan_endpoints() {
        for (auto& v : vpcs_) {
            if (rng_.chance(0.5)) v.gw_endpoint = fmt("vpce-0a%02d", v.n);
            if (rng_.chance(0.4)) {
                v.if_endpoint = fmt("vpce-0b%02d", v.n);
                int si = rng_.pick(v.subnets);
                PlanEni e;
                e.id = fmt("eni-0c0%02d", v.n);
                e.subnet = si;
                e.type = "vpc_endpoint";
                e.requester_managed = true;
                e.ips = {subnets_[si].base4 + "7"};
                e.auto_public = {""};
                e.groups = {rng_.pick(v.sgs)};
                e.description = "VPC Endpoint Interface " + v.if_endpoint;
                subnets_[si].enis.push_back(int(enis_.size()));
                enis_.push_back(e);
            }
            if (rng_.chance(0.12)) v.gwlb_endpoint = fmt("vpce-0c%02d", v.n);
        }
    }

    void plan_peerings() {
        int n = 0;
        for (int a = 0; a < int(vpcs_.size()); ++a)
            for (int b = a + 1; b < int(vpcs_.size()); ++b) {
                if (!rng_.chance(0.5)) continue;
                PlanPeering p;
                p.id = fmt("pcx-0a%02d%02d", vpcs_[a].n, vpcs_[b].n);
                p.a = a;
                p.b = b;
                if (rng_.chance(0.2)) p.status = rng_.pick(std::vector<std::string>{"pending-acceptance", "deleted", "rejected"});
                if (rng_.chance(0.1)) p.region_b = "us-west-2";
                peerings_.push_back(p);
                ++n;
            }
        (void)n;
    }

    void plan_tgw() {
        if (!rng_.chance(0.6)) return;
        tgw_ = "tgw-0a01";
        int nt = rng_.range(1, 2);
        for (int i = 0; i < nt; ++i) tgw_rtbs_.push_back(fmt("tgw-rtb-0a%02d", i + 1));
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            if (!rng_.chance(0.75)) continue;
            PlanAttachment a;
            a.id = fmt("tgw-attach-0a%02d", vpcs_[vi].n);
            a.resource = vpcs_[vi].id;
            a.vpc = vi;
            // One subnet per AZ for some AZs (sometimes an AZ is missing).
            std::set<std::string> used;
            for (int si : vpcs_[vi].subnets) {
                const auto& s = subnets_[si];
                if (used.count(s.az) || !rng_.chance(0.7)) continue;
                used.insert(s.az);
                a.subnets.push_back(s.id);
            }
            if (a.subnets.empty()) a.subnets.push_back(subnets_[vpcs_[vi].subnets[0]].id);
            if (rng_.chance(0.08)) a.state = "pending";
            a.appliance = rng_.chance(0.2);
            if (!rng_.chance(0.08)) a.rtb = rng_.pick(tgw_rtbs_);
            atts_.push_back(a);
        }
        if (rng_.chance(0.6)) {
            PlanAttachment a;
            a.id = "tgw-attach-0f01";
            a.type = "vpn";
            a.resource = "vpn-0f01";
            a.rtb = rng_.pick(tgw_rtbs_);
            vpn_tgw_ = a.resource;
            atts_.push_back(a);
        }
        if (rng2_.chance(0.6)) {
            PlanAttachment a;
            a.id = "tgw-attach-0d01";
            a.type = "direct-connect-gateway";
            a.resource = "7c1e0f4a-9b2d-4e3f-8a6b-5d4c3b2a1f0e";
            a.rtb = rng2_.pick(tgw_rtbs_);
            bgp_atts_.push_back(a);
        }
        if (rng2_.chance(0.5)) {
            PlanAttachment a;
            a.id = "tgw-attach-0f02";
            a.type = "vpn";
            a.resource = "vpn-0f02";   // StaticRoutesOnly false (emit_vgw)
            a.rtb = rng2_.pick(tgw_rtbs_);
            if (rng2_.chance(0.1)) a.state = "pending";
            bgp_atts_.push_back(a);
        }
    }

    void plan_vgw() {
        if (!rng_.chance(0.5)) return;
        vgw_vpc_ = int(rng_.below(static_cast<uint32_t>(vpcs_.size())));
        vpcs_[vgw_vpc_].vgw = "vgw-0a01";
        vpn_routes_vgw_ = {"192.168.100.0/24"};
        if (rng_.chance(0.3)) vpn_routes_vgw_.push_back("192.168.200.0/24");
        vgw_bgp_ = rng_.chance(0.25);
    }

    // ---- rule vocabulary ----------------------------------------------------------------

    std::string eni_host4() {
        std::vector<const PlanEni*> c;
        for (const auto& e : enis_)
            if (!e.ips.empty()) c.push_back(&e);
        if (c.empty()) return "10.1.1.10/32";
        const PlanEni* e = c[rng_.below(static_cast<uint32_t>(c.size()))];
        return rng_.pick(e->ips) + "/32";
    }

    std::string cidr4_peer(int vi) {
        const PlanVpc& v = vpcs_[vi];
        switch (rng_.below(12)) {
        case 0: case 1: case 2: return "0.0.0.0/0";
        case 3: return "10.0.0.0/8";
        case 4: return v.cidr4;
        case 5: return subnets_[rng_.pick(v.subnets)].cidr4;
        case 6: return eni_host4();
        case 7: return "198.51.100.0/24";
        case 8: return "198.51.100.7/32";
        case 9: return rng_.chance(0.5) ? "192.168.100.0/24" : "172.16.0.0/12";
        case 10: return vpcs_[rng_.below(static_cast<uint32_t>(vpcs_.size()))].cidr4;
        default: return "52.216.0.0/15";
        }
    }
    std::string cidr6_peer(int vi) {
        const PlanVpc& v = vpcs_[vi];
        switch (rng_.below(4)) {
        case 0: case 1: return "::/0";
        case 2: return v.cidr6.empty() ? "2001:db8:ffff::/48" : v.cidr6;
        default: return "2001:db8:ffff::/48";
        }
    }

    // One IpPermission with one (sometimes two) peers.
    json sg_permission(int vi) {
        json p;
        int kind = int(rng_.below(20));
        if (kind < 9) {
            p["IpProtocol"] = "tcp";
            static const std::pair<int, int> ranges[] = {{22, 22}, {80, 80}, {443, 443}, {1024, 65535}, {0, 65535},
                                                         {80, 443}, {3306, 3310}, {8080, 8080}, {53, 53}, {5000, 5000}};
            auto r = rng_.pick(ranges);
            p["FromPort"] = r.first;
            p["ToPort"] = r.second;
        } else if (kind < 13) {
            p["IpProtocol"] = rng_.chance(0.2) ? "17" : "udp";
            static const std::pair<int, int> ranges[] = {{53, 53}, {123, 123}, {1024, 65535}, {0, 65535}, {5000, 5010}};
            auto r = rng_.pick(ranges);
            p["FromPort"] = r.first;
            p["ToPort"] = r.second;
        } else if (kind < 15) {
            p["IpProtocol"] = "icmp";
            static const std::pair<int, int> tc[] = {{8, -1}, {-1, -1}, {3, 4}, {0, 0}, {11, -1}, {8, 0}};
            auto r = rng_.pick(tc);
            p["FromPort"] = r.first;
            p["ToPort"] = r.second;
        } else if (kind < 16) {
            p["IpProtocol"] = "icmpv6";
            static const std::pair<int, int> tc[] = {{128, -1}, {-1, -1}, {2, 0}, {129, 0}};
            auto r = rng_.pick(tc);
            p["FromPort"] = r.first;
            p["ToPort"] = r.second;
        } else if (kind < 19) {
            p["IpProtocol"] = "-1";
        } else {
            p["IpProtocol"] = rng_.pick(std::vector<std::string>{"47", "50", "132"});
        }
        json ranges = json::array(), ranges6 = json::array(), pls = json::array(), pairs = json::array();
        int npeers = rng_.chance(0.15) ? 2 : 1;
        for (int i = 0; i < npeers; ++i) {
            int peer = int(rng_.below(20));
            if (peer < 10) {
                ranges.push_back({{"CidrIp", cidr4_peer(vi)}});
            } else if (peer < 13) {
                ranges6.push_back({{"CidrIpv6", cidr6_peer(vi)}});
            } else if (peer < 15) {
                static const char* pl[] = {"pl-0c0000000000001", "pl-0c0000000000006", "pl-63a5400a"};
                pls.push_back({{"PrefixListId", rng_.pick(pl)}});
            } else {
                json pair;
                int r = int(rng_.below(10));
                if (r < 6) {
                    pair["GroupId"] = rng_.pick(vpcs_[vi].sgs);
                } else if (r < 9 && !peerings_.empty()) {
                    const PlanPeering& p2 = rng_.pick(peerings_);
                    int other = p2.a == vi ? p2.b : p2.b == vi ? p2.a : p2.b;
                    pair["GroupId"] = rng_.pick(vpcs_[other].sgs);
                    pair["VpcId"] = vpcs_[other].id;
                    pair["VpcPeeringConnectionId"] = p2.id;
                } else {
                    pair["GroupId"] = "sg-0dead0001";   // stale reference
                }
                pair["UserId"] = kOwner;
                pairs.push_back(pair);
            }
        }
        p["IpRanges"] = ranges;
        p["Ipv6Ranges"] = ranges6;
        p["PrefixListIds"] = pls;
        p["UserIdGroupPairs"] = pairs;
        return p;
    }

    // ---- emitting ---------------------------------------------------------------------

    void emit_vpcs() {
        json arr = json::array();
        for (const auto& v : vpcs_) {
            json j = {{"VpcId", v.id}, {"CidrBlock", v.cidr4}, {"State", "available"}, {"OwnerId", kOwner},
                      {"IsDefault", false}, {"InstanceTenancy", "default"}, {"Tags", name_tags("vpc" + std::to_string(v.n))}};
            json set = json::array({{{"AssociationId", "vpc-cidr-assoc-" + v.id.substr(4) + "1"},
                                     {"CidrBlock", v.cidr4}, {"CidrBlockState", {{"State", "associated"}}}}});
            if (!v.extra4.empty())
                set.push_back({{"AssociationId", "vpc-cidr-assoc-" + v.id.substr(4) + "2"},
                               {"CidrBlock", v.extra4}, {"CidrBlockState", {{"State", "associated"}}}});
            j["CidrBlockAssociationSet"] = set;
            if (!v.cidr6.empty())
                j["Ipv6CidrBlockAssociationSet"] = json::array(
                    {{{"AssociationId", "vpc-cidr-assoc-" + v.id.substr(4) + "6"}, {"Ipv6CidrBlock", v.cidr6},
                      {"Ipv6CidrBlockState", {{"State", "associated"}}}, {"NetworkBorderGroup", "us-east-1"}}});
            if (rng_.chance(0.03))
                j["BlockPublicAccessStates"] = {{"InternetGatewayBlockMode",
                                                 rng_.chance(0.5) ? "block-bidirectional" : "block-ingress"}};
            arr.push_back(j);
        }
        out_["Vpcs"] = arr;
    }

    void emit_subnets() {
        json arr = json::array();
        for (const auto& s : subnets_) {
            json j = {{"SubnetId", s.id}, {"VpcId", vpcs_[s.vpc].id}, {"AvailabilityZone", s.az},
                      {"AvailabilityZoneId", "use1-az" + std::to_string(s.az.back() - 'a' + 1)},
                      {"CidrBlock", s.cidr4}, {"State", "available"}, {"OwnerId", kOwner},
                      {"MapPublicIpOnLaunch", false}, {"Tags", name_tags(s.id)}};
            json v6 = json::array();
            if (!s.cidr6.empty())
                v6.push_back({{"AssociationId", "subnet-cidr-assoc-" + s.id.substr(7)}, {"Ipv6CidrBlock", s.cidr6},
                              {"Ipv6CidrBlockState", {{"State", "associated"}}}});
            j["Ipv6CidrBlockAssociationSet"] = v6;
            arr.push_back(j);
        }
        out_["Subnets"] = arr;
    }

    void emit_groups() {
        json arr = json::array();
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            const PlanVpc& v = vpcs_[vi];
            for (size_t g = 0; g < v.sgs.size(); ++g) {
                json in = json::array(), eg = json::array();
                if (g == 0) {
                    // The default group: from itself, everything out.
                    in.push_back({{"IpProtocol", "-1"}, {"IpRanges", json::array()}, {"Ipv6Ranges", json::array()},
                                  {"PrefixListIds", json::array()},
                                  {"UserIdGroupPairs", json::array({{{"GroupId", v.sgs[0]}, {"UserId", kOwner}}})}});
                }
                int nin = rng_.range(g == 0 ? 0 : 1, 5);
                for (int i = 0; i < nin; ++i) in.push_back(sg_permission(vi));
                if (rng_.chance(0.7)) {
                    json all = {{"IpProtocol", "-1"}, {"IpRanges", json::array({{{"CidrIp", "0.0.0.0/0"}}})},
                                {"Ipv6Ranges", json::array()}, {"PrefixListIds", json::array()},
                                {"UserIdGroupPairs", json::array()}};
                    if (!v.cidr6.empty() && rng_.chance(0.7)) all["Ipv6Ranges"].push_back({{"CidrIpv6", "::/0"}});
                    eg.push_back(all);
                }
                int neg = rng_.range(eg.empty() ? 1 : 0, 3);
                for (int i = 0; i < neg; ++i) eg.push_back(sg_permission(vi));
                arr.push_back({{"GroupId", v.sgs[g]}, {"GroupName", g == 0 ? "default" : "g" + v.sgs[g].substr(3)},
                               {"Description", "generated"}, {"VpcId", v.id}, {"OwnerId", kOwner},
                               {"IpPermissions", in}, {"IpPermissionsEgress", eg}});
            }
        }
        out_["SecurityGroups"] = arr;
    }

    std::string eip_of(const std::string& eni, const std::string& ip, std::string* alloc, std::string* assoc) const {
        for (const auto& e : eips_)
            if (e.eni == eni && e.private_ip == ip) {
                *alloc = e.alloc;
                *assoc = e.assoc;
                return e.ip;
            }
        return {};
    }

    void emit_enis() {
        json arr = json::array();
        std::map<int, json> inst_enis;
        for (size_t i = 0; i < enis_.size(); ++i) {
            const PlanEni& e = enis_[i];
            const PlanSubnet& s = subnets_[e.subnet];
            const PlanVpc& v = vpcs_[s.vpc];
            json j = {{"NetworkInterfaceId", e.id}, {"SubnetId", s.id}, {"VpcId", v.id}, {"AvailabilityZone", s.az},
                      {"InterfaceType", e.type}, {"OwnerId", kOwner}, {"RequesterManaged", e.requester_managed},
                      {"SourceDestCheck", e.sdc}, {"PrivateIpAddress", e.ips[0]},
                      {"MacAddress", fmt("02:%02x:%02x:%02x:00:01", v.n, int(i) >> 8, int(i) & 0xff)},
                      {"Description", e.description}, {"TagSet", name_tags(e.id)}};
            json ips = json::array();
            for (size_t k = 0; k < e.ips.size(); ++k) {
                json p = {{"PrivateIpAddress", e.ips[k]}, {"Primary", k == 0}};
                std::string alloc, assoc;
                std::string eip = eip_of(e.id, e.ips[k], &alloc, &assoc);
                if (!eip.empty()) {
                    p["Association"] = {{"PublicIp", eip}, {"AllocationId", alloc}, {"AssociationId", assoc},
                                        {"IpOwnerId", kOwner}};
                } else if (!e.auto_public[k].empty()) {
                    p["Association"] = {{"PublicIp", e.auto_public[k]}, {"IpOwnerId", "amazon"}};
                }
                if (k == 0 && p.contains("Association")) j["Association"] = p["Association"];
                ips.push_back(p);
            }
            j["PrivateIpAddresses"] = ips;
            json v6 = json::array();
            for (const auto& a : e.v6) v6.push_back({{"Ipv6Address", a}, {"IsPrimaryIpv6", false}});
            j["Ipv6Addresses"] = v6;
            if (!e.prefix4.empty()) j["Ipv4Prefixes"] = json::array({{{"Ipv4Prefix", e.prefix4}}});
            json groups = json::array();
            for (const auto& g : e.groups) groups.push_back({{"GroupId", g}, {"GroupName", g}});
            j["Groups"] = groups;
            if (e.deny_igw) j["DenyAllIgwTraffic"] = true;
            if (!e.ct.is_null()) j["ConnectionTrackingConfiguration"] = e.ct;
            if (e.instance >= 0) {
                const PlanInstance& in = instances_[e.instance];
                json att = {{"AttachmentId", "eni-attach-" + e.id.substr(4)}, {"DeviceIndex", e.device},
                            {"InstanceId", in.id}, {"InstanceOwnerId", kOwner}, {"Status", "attached"},
                            {"DeleteOnTermination", e.device == 0}, {"NetworkCardIndex", 0}};
                j["Attachment"] = att;
                j["Status"] = "in-use";
                inst_enis[e.instance].push_back({{"NetworkInterfaceId", e.id}, {"SubnetId", s.id}, {"VpcId", v.id},
                                                 {"Attachment", att}, {"PrivateIpAddress", e.ips[0]}});
            } else {
                j["Status"] = e.type == "interface" ? "available" : "in-use";
            }
            arr.push_back(j);
        }
        out_["NetworkInterfaces"] = arr;
        json res = json::array();
        for (size_t i = 0; i < instances_.size(); ++i) {
            const PlanInstance& in = instances_[i];
            int code = in.state == "running" ? 16 : 80;
            json inst = {{"InstanceId", in.id}, {"InstanceType", "t3.micro"},
                         {"State", {{"Code", code}, {"Name", in.state}}}, {"SubnetId", subnets_[in.subnet].id},
                         {"VpcId", vpcs_[subnets_[in.subnet].vpc].id}, {"Placement", {{"AvailabilityZone", in.az}}},
                         {"NetworkInterfaces", inst_enis[int(i)]}, {"Tags", name_tags(in.id)}};
            res.push_back({{"ReservationId", "r-" + in.id.substr(2)}, {"OwnerId", kOwner},
                           {"Instances", json::array({inst})}});
        }
        out_["Reservations"] = res;
    }

    void emit_addresses() {
        json arr = json::array();
        for (const auto& e : eips_) {
            json j = {{"AllocationId", e.alloc}, {"PublicIp", e.ip}, {"Domain", "vpc"}, {"PublicIpv4Pool", "amazon"}};
            if (!e.eni.empty()) {
                j["AssociationId"] = e.assoc;
                j["NetworkInterfaceId"] = e.eni;
                j["PrivateIpAddress"] = e.private_ip;
                j["NetworkInterfaceOwnerId"] = kOwner;
                for (const auto& pe : enis_)
                    if (pe.id == e.eni && pe.instance >= 0) j["InstanceId"] = instances_[pe.instance].id;
            }
            arr.push_back(j);
        }
        out_["Addresses"] = arr;
    }

    void emit_gateways() {
        json igws = json::array(), eigws = json::array();
        for (const auto& v : vpcs_) {
            if (!v.igw.empty())
                igws.push_back({{"InternetGatewayId", v.igw}, {"OwnerId", kOwner},
                                {"Attachments", json::array({{{"State", "available"}, {"VpcId", v.id}}})}});
            if (!v.eigw.empty())
                eigws.push_back({{"EgressOnlyInternetGatewayId", v.eigw},
                                 {"Attachments", json::array({{{"State", "attached"}, {"VpcId", v.id}}})}});
        }
        // A detached internet gateway (routes to it go nowhere).
        if (rng_.chance(0.2)) igws.push_back({{"InternetGatewayId", "igw-0dead"}, {"Attachments", json::array()}});
        out_["InternetGateways"] = igws;
        out_["EgressOnlyInternetGateways"] = eigws;
    }

    void emit_nats() {
        json arr = json::array();
        for (const auto& n : nats_) {
            json a = {{"NetworkInterfaceId", n.eni}, {"PrivateIp", n.private_ip}, {"IsPrimary", true},
                      {"Status", "succeeded"}};
            if (!n.is_private) {
                a["AllocationId"] = n.alloc;
                a["PublicIp"] = n.public_ip;
                a["AssociationId"] = "eipassoc-" + n.alloc.substr(9);
            }
            arr.push_back({{"NatGatewayId", n.id}, {"VpcId", vpcs_[n.vpc].id}, {"SubnetId", subnets_[n.subnet].id},
                           {"State", n.state}, {"ConnectivityType", n.is_private ? "private" : "public"},
                           {"NatGatewayAddresses", json::array({a})}});
        }
        out_["NatGateways"] = arr;
    }

    json peering_side(int vi, const std::string& region) {
        const PlanVpc& v = vpcs_[vi];
        json s = {{"VpcId", v.id}, {"OwnerId", kOwner}, {"Region", region}, {"CidrBlock", v.cidr4}};
        json set = json::array({{{"CidrBlock", v.cidr4}}});
        if (!v.extra4.empty()) set.push_back({{"CidrBlock", v.extra4}});
        s["CidrBlockSet"] = set;
        if (!v.cidr6.empty()) s["Ipv6CidrBlockSet"] = json::array({{{"Ipv6CidrBlock", v.cidr6}}});
        return s;
    }

    void emit_peerings() {
        json arr = json::array();
        for (const auto& p : peerings_)
            arr.push_back({{"VpcPeeringConnectionId", p.id}, {"Status", {{"Code", p.status}, {"Message", p.status}}},
                           {"RequesterVpcInfo", peering_side(p.a, "us-east-1")},
                           {"AccepterVpcInfo", peering_side(p.b, p.region_b)}});
        out_["VpcPeeringConnections"] = arr;
    }

    void emit_tgw() {
        if (tgw_.empty()) return;
        out_["TransitGateways"] = json::array(
            {{{"TransitGatewayId", tgw_}, {"State", "available"}, {"OwnerId", kOwner},
              {"Options", {{"AssociationDefaultRouteTableId", tgw_rtbs_[0]}, {"PropagationDefaultRouteTableId", tgw_rtbs_[0]},
                           {"SecurityGroupReferencingSupport", "disable"}}}}});
        json atts = json::array(), vpcAtts = json::array();
        std::vector<PlanAttachment> all = atts_;
        all.insert(all.end(), bgp_atts_.begin(), bgp_atts_.end());
        for (const auto& a : all) {
            json j = {{"TransitGatewayAttachmentId", a.id}, {"TransitGatewayId", tgw_}, {"ResourceType", a.type},
                      {"ResourceId", a.resource}, {"ResourceOwnerId", kOwner}, {"State", a.state}};
            if (!a.rtb.empty()) j["Association"] = {{"State", "associated"}, {"TransitGatewayRouteTableId", a.rtb}};
            atts.push_back(j);
            if (a.type == "vpc")
                vpcAtts.push_back({{"TransitGatewayAttachmentId", a.id}, {"TransitGatewayId", tgw_},
                                   {"VpcId", a.resource}, {"VpcOwnerId", kOwner}, {"State", a.state},
                                   {"SubnetIds", a.subnets},
                                   {"Options", {{"ApplianceModeSupport", a.appliance ? "enable" : "disable"},
                                                {"DnsSupport", "enable"}, {"Ipv6Support", "enable"}}}});
        }
        out_["TransitGatewayVpcAttachments"] = vpcAtts;
        json rtbs = json::array(), statics = json::array(), props = json::array();
        for (size_t t = 0; t < tgw_rtbs_.size(); ++t) {
            rtbs.push_back({{"TransitGatewayRouteTableId", tgw_rtbs_[t]}, {"TransitGatewayId", tgw_},
                            {"State", "available"}, {"DefaultAssociationRouteTable", t == 0},
                            {"DefaultPropagationRouteTable", t == 0}});
            json routes = json::array();
            if (rng_.chance(0.7))
                routes.push_back({{"DestinationCidrBlock", "10.99.0.0/16"}, {"Type", "static"}, {"State", "blackhole"}});
            for (const auto& a : atts_) {
                if (a.type == "vpn" && rng_.chance(0.8))
                    routes.push_back({{"DestinationCidrBlock", "172.16.0.0/16"}, {"Type", "static"}, {"State", "active"},
                                      {"TransitGatewayAttachments",
                                       json::array({{{"TransitGatewayAttachmentId", a.id}, {"ResourceType", "vpn"},
                                                     {"ResourceId", a.resource}}})}});
                if (a.type == "vpc" && rng_.chance(0.2)) {
                    // A static route that overrides (or adds to) the propagated VPC routes.
                    std::string dest = rng_.chance(0.5) ? vpcs_[a.vpc].cidr4
                                                        : subnets_[rng_.pick(vpcs_[a.vpc].subnets)].cidr4;
                    routes.push_back({{"DestinationCidrBlock", dest}, {"Type", "static"}, {"State", "active"},
                                      {"TransitGatewayAttachments",
                                       json::array({{{"TransitGatewayAttachmentId", a.id}, {"ResourceType", "vpc"},
                                                     {"ResourceId", a.resource}}})}});
                }
                if (a.type == "vpc" && rng_.chance(0.1))
                    routes.push_back({{"DestinationCidrBlock", subnets_[rng_.pick(vpcs_[a.vpc].subnets)].cidr4},
                                      {"Type", "static"}, {"State", "blackhole"}});
            }
            if (rng_.chance(0.2))
                routes.push_back({{"PrefixListId", pl_cust4_}, {"Type", "static"}, {"State", "active"},
                                  {"TransitGatewayAttachments",
                                   json::array({{{"TransitGatewayAttachmentId", rng_.pick(atts_).id}}})}});
            statics.push_back({{"TransitGatewayRouteTableId", tgw_rtbs_[t]}, {"Routes", routes}});
            json pr = json::array();
            for (const auto& a : atts_)
                if (a.type == "vpc" && rng_.chance(0.7))
                    pr.push_back({{"TransitGatewayAttachmentId", a.id}, {"ResourceId", a.resource},
                                  {"ResourceType", "vpc"}, {"State", "enabled"}});
            // BGP attachments: an enabled propagation (sometimes disabled), and sometimes
            // the routes it learned as the export gives them (then used as given).
            for (const auto& a : bgp_atts_) {
                if (!rng2_.chance(0.75)) continue;
                pr.push_back({{"TransitGatewayAttachmentId", a.id}, {"ResourceId", a.resource}, {"ResourceType", a.type},
                              {"State", rng2_.chance(0.9) ? "enabled" : "disabled"}});
                if (rng2_.chance(0.3))
                    statics.back()["Routes"].push_back(
                        {{"DestinationCidrBlock", rng2_.chance(0.5) ? "172.18.0.0/16" : "0.0.0.0/0"}, {"Type", "propagated"},
                         {"State", "active"},
                         {"TransitGatewayAttachments",
                          json::array({{{"TransitGatewayAttachmentId", a.id}, {"ResourceType", a.type}, {"ResourceId", a.resource}}})}});
            }
            props.push_back({{"TransitGatewayRouteTableId", tgw_rtbs_[t]}, {"TransitGatewayRouteTablePropagations", pr}});
        }
        emit_tgw_peering(atts, rtbs, statics, props);
        out_["TransitGatewayAttachments"] = atts;
        out_["TransitGatewayRouteTables"] = rtbs;
        out_["TransitGatewayStaticRoutes"] = statics;
        out_["TransitGatewayPropagations"] = props;
    }

    // §8 TGW peering (drawn from rng2_): a peer TGW tgw-0b01 with its own table and an
    // attachment of one VPC, peered with the hub by tgw-attach-0p01 (listed by both sides,
    // or only by the hub's when the peer is not in the export: the packet then leaves
    // there); the hub's tables send one subnet of that VPC over the peering; the peer's
    // table sends the other VPCs back, and 10.250.0.0/16 too, which the hub sends over a
    // second peering to a TGW never exported (tgw-attach-0p02): no transit across two.
    void emit_tgw_peering(json& atts, json& rtbs, json& statics, json& props) {
        std::vector<const PlanAttachment*> vpcAtts;
        for (const auto& a : atts_)
            if (a.type == "vpc") vpcAtts.push_back(&a);
        if (vpcAtts.size() < 2 || !rng2_.chance(0.5)) return;
        const PlanAttachment& far = *vpcAtts[rng2_.below(static_cast<uint32_t>(vpcAtts.size()))];
        const PlanVpc& fv = vpcs_[far.vpc];
        bool peerExported = rng2_.chance(0.8);
        auto route = [](const std::string& dest, const std::string& att) {
            return json{{"DestinationCidrBlock", dest}, {"Type", "static"}, {"State", "active"},
                        {"TransitGatewayAttachments", json::array({{{"TransitGatewayAttachmentId", att}, {"ResourceType", "peering"}}})}};
        };
        std::string hubRtb = rng2_.pick(tgw_rtbs_);
        atts.push_back({{"TransitGatewayAttachmentId", "tgw-attach-0p01"}, {"TransitGatewayId", tgw_}, {"ResourceType", "peering"},
                        {"ResourceId", "tgw-0b01"}, {"ResourceOwnerId", kOwner}, {"State", "available"},
                        {"Association", {{"State", "associated"}, {"TransitGatewayRouteTableId", hubRtb}}}});
        atts.push_back({{"TransitGatewayAttachmentId", "tgw-attach-0p02"}, {"TransitGatewayId", tgw_}, {"ResourceType", "peering"},
                        {"ResourceId", "tgw-0c01"}, {"ResourceOwnerId", kOwner}, {"State", "available"},
                        {"Association", {{"State", "associated"}, {"TransitGatewayRouteTableId", hubRtb}}}});
        for (auto& s : statics) {
            s["Routes"].push_back(route(subnets_[fv.subnets[0]].cidr4, "tgw-attach-0p01"));
            s["Routes"].push_back(route("10.250.0.0/16", "tgw-attach-0p02"));
        }
        if (!peerExported) return;
        out_["TransitGateways"].push_back({{"TransitGatewayId", "tgw-0b01"}, {"State", "available"}, {"OwnerId", kOwner},
                                           {"Options", {{"AssociationDefaultRouteTableId", "tgw-rtb-0b01"},
                                                        {"PropagationDefaultRouteTableId", "tgw-rtb-0b01"}}}});
        atts.push_back({{"TransitGatewayAttachmentId", "tgw-attach-0p01"}, {"TransitGatewayId", "tgw-0b01"}, {"ResourceType", "peering"},
                        {"ResourceId", tgw_}, {"ResourceOwnerId", kOwner}, {"State", "available"},
                        {"Association", {{"State", "associated"}, {"TransitGatewayRouteTableId", "tgw-rtb-0b01"}}}});
        atts.push_back({{"TransitGatewayAttachmentId", "tgw-attach-0b01"}, {"TransitGatewayId", "tgw-0b01"}, {"ResourceType", "vpc"},
                        {"ResourceId", fv.id}, {"ResourceOwnerId", kOwner}, {"State", "available"},
                        {"Association", {{"State", "associated"}, {"TransitGatewayRouteTableId", "tgw-rtb-0b01"}}}});
        out_["TransitGatewayVpcAttachments"].push_back(
            {{"TransitGatewayAttachmentId", "tgw-attach-0b01"}, {"TransitGatewayId", "tgw-0b01"}, {"VpcId", fv.id},
             {"VpcOwnerId", kOwner}, {"State", "available"}, {"SubnetIds", far.subnets},
             {"Options", {{"ApplianceModeSupport", "disable"}, {"DnsSupport", "enable"}, {"Ipv6Support", "enable"}}}});
        if (rng2_.chance(0.5))
            out_["TransitGatewayPeeringAttachments"] = json::array(
                {{{"TransitGatewayAttachmentId", "tgw-attach-0p01"}, {"State", "available"},
                  {"RequesterTgwInfo", {{"TransitGatewayId", tgw_}, {"OwnerId", kOwner}}},
                  {"AccepterTgwInfo", {{"TransitGatewayId", "tgw-0b01"}, {"OwnerId", kOwner}}}}});
        rtbs.push_back({{"TransitGatewayRouteTableId", "tgw-rtb-0b01"}, {"TransitGatewayId", "tgw-0b01"}, {"State", "available"},
                        {"DefaultAssociationRouteTable", true}, {"DefaultPropagationRouteTable", true}});
        json routes = json::array();
        for (const auto* a : vpcAtts)
            if (a != &far && rng2_.chance(0.8)) routes.push_back(route(vpcs_[a->vpc].cidr4, "tgw-attach-0p01"));
        routes.push_back(route("10.250.0.0/16", "tgw-attach-0p01"));
        statics.push_back({{"TransitGatewayRouteTableId", "tgw-rtb-0b01"}, {"Routes", routes}});
        // The peering's own propagation is ignored (nothing propagates over a peering).
        props.push_back({{"TransitGatewayRouteTableId", "tgw-rtb-0b01"},
                         {"TransitGatewayRouteTablePropagations",
                          json::array({{{"TransitGatewayAttachmentId", "tgw-attach-0b01"}, {"ResourceId", fv.id},
                                        {"ResourceType", "vpc"}, {"State", "enabled"}},
                                       {{"TransitGatewayAttachmentId", "tgw-attach-0p01"}, {"ResourceId", tgw_},
                                        {"ResourceType", "peering"}, {"State", "enabled"}}})}});
    }

    void emit_vgw() {
        json vpns = json::array(), cgws = json::array();
        if (vgw_vpc_ >= 0) {
            out_["VpnGateways"] = json::array({{{"VpnGatewayId", "vgw-0a01"}, {"State", "available"}, {"Type", "ipsec.1"},
                                                {"VpcAttachments",
                                                 json::array({{{"State", "attached"}, {"VpcId", vpcs_[vgw_vpc_].id}}})}}});
            json routes = json::array();
            for (const auto& r : vpn_routes_vgw_)
                routes.push_back({{"DestinationCidrBlock", r}, {"Source", "Static"}, {"State", "available"}});
            vpns.push_back({{"VpnConnectionId", "vpn-0a01"}, {"VpnGatewayId", "vgw-0a01"}, {"CustomerGatewayId", "cgw-0a01"},
                            {"State", "available"}, {"Type", "ipsec.1"}, {"Options", {{"StaticRoutesOnly", true}}},
                            {"Routes", routes}});
            cgws.push_back({{"CustomerGatewayId", "cgw-0a01"}, {"IpAddress", "198.51.100.1"}, {"State", "available"}});
            if (vgw_bgp_)
                vpns.push_back({{"VpnConnectionId", "vpn-0a02"}, {"VpnGatewayId", "vgw-0a01"},
                                {"CustomerGatewayId", "cgw-0a01"}, {"State", "available"}, {"Type", "ipsec.1"},
                                {"Options", {{"StaticRoutesOnly", false}}}, {"Routes", json::array()}});
        }
        if (!vpn_tgw_.empty()) {
            vpns.push_back({{"VpnConnectionId", vpn_tgw_}, {"TransitGatewayId", tgw_}, {"CustomerGatewayId", "cgw-0f01"},
                            {"State", "available"}, {"Type", "ipsec.1"}, {"Options", {{"StaticRoutesOnly", true}}},
                            {"Routes", json::array({{{"DestinationCidrBlock", "172.16.0.0/16"}, {"State", "available"}}})}});
            cgws.push_back({{"CustomerGatewayId", "cgw-0f01"}, {"IpAddress", "198.51.100.2"}, {"State", "available"}});
        }
        for (const auto& a : bgp_atts_)
            if (a.type == "vpn") {
                vpns.push_back({{"VpnConnectionId", a.resource}, {"TransitGatewayId", tgw_}, {"CustomerGatewayId", "cgw-0f02"},
                                {"State", "available"}, {"Type", "ipsec.1"}, {"Options", {{"StaticRoutesOnly", false}}},
                                {"Routes", json::array()}});
                cgws.push_back({{"CustomerGatewayId", "cgw-0f02"}, {"IpAddress", "198.51.100.3"}, {"State", "available"}});
            }
        if (!vpns.empty()) out_["VpnConnections"] = vpns;
        if (!cgws.empty()) out_["CustomerGateways"] = cgws;
    }

    // Route tables are planned in emit_route_tables; endpoints need their ids first, so the
    // route tables are decided here.
    struct PlanRtb {
        std::string id;
        int vpc = 0;
        bool main = false;
        std::string edge_gw;     // gateway association
        std::vector<int> subnets;
    };
    std::vector<PlanRtb> rtbs_;

    void plan_rtbs() {
        if (!rtbs_.empty()) return;
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            PlanVpc& v = vpcs_[vi];
            PlanRtb m;
            m.id = fmt("rtb-0a%d00", v.n);
            m.vpc = vi;
            m.main = true;
            v.main_rtb = int(rtbs_.size());
            rtbs_.push_back(m);
            int nc = rng_.range(1, 2);
            std::vector<int> custom;
            for (int c = 0; c < nc; ++c) {
                PlanRtb t;
                t.id = fmt("rtb-0a%d%02d", v.n, c + 1);
                t.vpc = vi;
                custom.push_back(int(rtbs_.size()));
                rtbs_.push_back(t);
            }
            for (int si : v.subnets) {
                if (rng_.chance(0.2)) continue;   // main route table
                int t = rng_.pick(custom);
                rtbs_[t].subnets.push_back(si);
                subnets_[si].rtb = t;
            }
            if (!v.igw.empty() && rng_.chance(0.15)) {
                PlanRtb e;
                e.id = fmt("rtb-0a%d99", v.n);
                e.vpc = vi;
                e.edge_gw = v.igw;
                rtbs_.push_back(e);
            }
        }
    }

    void emit_endpoints() {
        plan_rtbs();
        json arr = json::array();
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            const PlanVpc& v = vpcs_[vi];
            if (!v.gw_endpoint.empty()) {
                json rt = json::array();
                for (const auto& t : rtbs_)
                    if (t.vpc == vi && t.edge_gw.empty() && rng_.chance(0.6)) rt.push_back(t.id);
                gw_endpoint_rtbs_[v.gw_endpoint] = rt;
                arr.push_back({{"VpcEndpointId", v.gw_endpoint}, {"VpcEndpointType", "Gateway"}, {"VpcId", v.id},
                               {"ServiceName", "com.amazonaws.us-east-1.s3"},
                               {"State", rng_.chance(0.92) ? "available" : "pending"}, {"RouteTableIds", rt},
                               {"SubnetIds", json::array()}, {"Groups", json::array()},
                               {"NetworkInterfaceIds", json::array()}, {"OwnerId", kOwner}});
            }
            if (!v.if_endpoint.empty()) {
                const PlanEni* e = nullptr;
                for (const auto& x : enis_)
                    if (x.description == "VPC Endpoint Interface " + v.if_endpoint) e = &x;
                arr.push_back({{"VpcEndpointId", v.if_endpoint}, {"VpcEndpointType", "Interface"}, {"VpcId", v.id},
                               {"ServiceName", "com.amazonaws.us-east-1.sqs"},
                               {"State", rng_.chance(0.9) ? "available" : "pendingAcceptance"},
                               {"RouteTableIds", json::array()}, {"SubnetIds", json::array({subnets_[e->subnet].id})},
                               {"Groups", json::array({{{"GroupId", e->groups[0]}, {"GroupName", e->groups[0]}}})},
                               {"NetworkInterfaceIds", json::array({e->id})}, {"OwnerId", kOwner}});
            }
            if (!v.gwlb_endpoint.empty())
                arr.push_back({{"VpcEndpointId", v.gwlb_endpoint}, {"VpcEndpointType", "GatewayLoadBalancer"},
                               {"VpcId", v.id}, {"ServiceName", "com.amazonaws.vpce.us-east-1.vpce-svc-0a"},
                               {"State", "available"}, {"RouteTableIds", json::array()},
                               {"SubnetIds", json::array({subnets_[v.subnets[0]].id})}, {"OwnerId", kOwner}});
        }
        out_["VpcEndpoints"] = arr;
    }
    std::map<std::string, json> gw_endpoint_rtbs_;

    void emit_prefix_lists() {
        pl_cust4_entries_ = {"198.51.100.0/25", "192.168.100.0/24",
                             vpcs_[rng_.below(static_cast<uint32_t>(vpcs_.size()))].cidr4};
        if (rng_.chance(0.5)) pl_cust4_entries_.push_back("52.216.0.0/16");
        json pls = json::array();
        pls.push_back({{"PrefixListId", vocab::kS3PrefixList}, {"PrefixListName", "com.amazonaws.us-east-1.s3"},
                       {"Cidrs", vocab::kS3Cidrs}});
        pls.push_back({{"PrefixListId", pl_cust4_}, {"PrefixListName", "partners"}, {"AddressFamily", "IPv4"},
                       {"OwnerId", kOwner}, {"MaxEntries", 10}, {"State", "create-complete"}});
        pls.push_back({{"PrefixListId", pl_cust6_}, {"PrefixListName", "partners6"}, {"AddressFamily", "IPv6"},
                       {"OwnerId", kOwner}, {"MaxEntries", 10}, {"State", "create-complete"}});
        out_["PrefixLists"] = pls;
        json e4 = json::array(), e6 = json::array();
        for (const auto& c : pl_cust4_entries_) e4.push_back({{"Cidr", c}});
        e6.push_back({{"Cidr", "2001:db8:ffff::/48"}});
        out_["VpcfwPrefixListEntries"] = {{pl_cust4_, e4}, {pl_cust6_, e6}};
    }

    // ---- NACLs ------------------------------------------------------------------------

    json nacl_entry(int vi, bool egress, int number, bool v6) {
        json e = {{"RuleNumber", number}, {"Egress", egress}, {"RuleAction", rng_.chance(0.6) ? "allow" : "deny"}};
        int k = int(rng_.below(16));
        if (k < 6) {
            e["Protocol"] = rng_.chance(0.8) ? "6" : "tcp";
            static const std::pair<int, int> r[] = {{22, 22}, {80, 80}, {443, 443}, {1024, 65535}, {0, 65535},
                                                    {32768, 65535}, {53, 53}, {80, 443}};
            auto p = rng_.pick(r);
            e["PortRange"] = {{"From", p.first}, {"To", p.second}};
        } else if (k < 9) {
            e["Protocol"] = "17";
            static const std::pair<int, int> r[] = {{53, 53}, {123, 123}, {1024, 65535}, {0, 65535}};
            auto p = rng_.pick(r);
            e["PortRange"] = {{"From", p.first}, {"To", p.second}};
        } else if (k < 11) {
            e["Protocol"] = v6 ? "58" : "1";
            static const std::pair<int, int> tc4[] = {{8, -1}, {-1, -1}, {0, -1}, {3, 4}, {11, 0}};
            static const std::pair<int, int> tc6[] = {{128, -1}, {-1, -1}, {129, -1}, {2, 0}};
            auto p = v6 ? rng_.pick(tc6) : rng_.pick(tc4);
            e["IcmpTypeCode"] = {{"Type", p.first}, {"Code", p.second}};
        } else if (k < 12) {
            e["Protocol"] = rng_.pick(std::vector<std::string>{"47", "50", "58"});   // 58 + IPv4 = all ICMP
        } else {
            e["Protocol"] = "-1";
        }
        if (v6) {
            e["Ipv6CidrBlock"] = cidr6_peer(vi);
        } else {
            std::string c = cidr4_peer(vi);
            e["CidrBlock"] = c;
        }
        return e;
    }

    json nacl_entries(int vi, bool is_default) {
        const PlanVpc& v = vpcs_[vi];
        json entries = json::array();
        for (bool egress : {false, true}) {
            if (is_default) {
                entries.push_back({{"RuleNumber", 100}, {"Egress", egress}, {"Protocol", "-1"}, {"RuleAction", "allow"},
                                   {"CidrBlock", "0.0.0.0/0"}});
                if (!v.cidr6.empty())
                    entries.push_back({{"RuleNumber", 101}, {"Egress", egress}, {"Protocol", "-1"},
                                       {"RuleAction", "allow"}, {"Ipv6CidrBlock", "::/0"}});
            } else {
                std::set<int> used;
                int n = rng_.range(2, 7);
                for (int i = 0; i < n; ++i) {
                    int num = rng_.chance(0.7) ? 10 * rng_.range(1, 20) : rng_.range(1, 300);
                    if (!used.insert(num).second) continue;
                    bool v6 = !v.cidr6.empty() && rng_.chance(0.25);
                    entries.push_back(nacl_entry(vi, egress, num, v6));
                }
                // Usually a broad allow late in the list, so that packets get further.
                if (rng_.chance(0.75) && used.insert(500).second)
                    entries.push_back({{"RuleNumber", 500}, {"Egress", egress}, {"Protocol", "-1"},
                                       {"RuleAction", "allow"}, {"CidrBlock", "0.0.0.0/0"}});
                if (!v.cidr6.empty() && rng_.chance(0.6) && used.insert(501).second)
                    entries.push_back({{"RuleNumber", 501}, {"Egress", egress}, {"Protocol", "-1"},
                                       {"RuleAction", "allow"}, {"Ipv6CidrBlock", "::/0"}});
            }
            if (rng_.chance(0.85)) {   // exports usually carry the * entries; vpcfw adds them anyway
                entries.push_back({{"RuleNumber", 32767}, {"Egress", egress}, {"Protocol", "-1"},
                                   {"RuleAction", "deny"}, {"CidrBlock", "0.0.0.0/0"}});
                if (!v.cidr6.empty())
                    entries.push_back({{"RuleNumber", 32768}, {"Egress", egress}, {"Protocol", "-1"},
                                       {"RuleAction", "deny"}, {"Ipv6CidrBlock", "::/0"}});
            }
        }
        // Random order, as the loader must not rely on it.
        for (size_t i = entries.size(); i > 1; --i) std::swap(entries[i - 1], entries[rng_.below(static_cast<uint32_t>(i))]);
        return entries;
    }

    void emit_nacls() {
        json arr = json::array();
        for (int vi = 0; vi < int(vpcs_.size()); ++vi) {
            const PlanVpc& v = vpcs_[vi];
            int nc = rng_.range(0, 2);
            std::vector<std::string> ids;
            ids.push_back(fmt("acl-0a%d00", v.n));
            for (int c = 0; c < nc; ++c) ids.push_back(fmt("acl-0a%d%02d", v.n, c + 1));
            std::vector<json> assocs(ids.size(), json::array());
            for (int si : v.subnets) {
                size_t which = nc > 0 && rng_.chance(0.7) ? 1 + rng_.below(static_cast<uint32_t>(nc)) : 0;
                assocs[which].push_back({{"NetworkAclAssociationId", "aclassoc-" + subnets_[si].id.substr(7)},
                                         {"NetworkAclId", ids[which]}, {"SubnetId", subnets_[si].id}});
            }
            std::vector<json> acls;
            for (size_t a = 0; a < ids.size(); ++a) {
                bool is_default = a == 0;
                bool allow_all = is_default && rng_.chance(0.8);
                acls.push_back({{"NetworkAclId", ids[a]}, {"VpcId", v.id}, {"IsDefault", is_default},
                                {"OwnerId", kOwner}, {"Entries", nacl_entries(vi, allow_all)}, {"Associations", assocs[a]}});
            }
            // An export that left this VPC's NACLs out (docs/semantics.md §5 CHOICE
            // missing_nacl_default: its subnets get AWS's default NACL, acl-default(VPC-ID)).
            if (rng_.chance(0.12)) continue;
            for (auto& a : acls) arr.push_back(std::move(a));
        }
        out_["NetworkAcls"] = arr;
    }

    // ---- route tables -----------------------------------------------------------------

    json route(const std::string& dest, const char* key, const std::string& target) {
        json r = {{"Origin", "CreateRoute"}, {"State", "active"}};
        if (dest.rfind("pl-", 0) == 0) r["DestinationPrefixListId"] = dest;
        else if (dest.find(':') != std::string::npos) r["DestinationIpv6CidrBlock"] = dest;
        else r["DestinationCidrBlock"] = dest;
        r[key] = target;
        return r;
    }

    // An ENI of VPC vi usable as an appliance (source/dest check off, an instance ENI).
    std::string appliance_eni(int vi) {
        std::vector<std::string> c, any;
        for (const auto& e : enis_)
            if (subnets_[e.subnet].vpc == vi && e.type == "interface") {
                any.push_back(e.id);
                if (!e.sdc) c.push_back(e.id);
            }
        if (!c.empty() && rng_.chance(0.85)) return rng_.pick(c);
        return any.empty() ? std::string("eni-0dead") : rng_.pick(any);
    }

    const PlanNat* nat_of(int vi, bool priv) const {
        for (int n : vpcs_[vi].nats)
            if (nats_[n].is_private == priv) return &nats_[n];
        return nullptr;
    }

    std::string peering_to(int vi, int other) const {
        for (const auto& p : peerings_)
            if ((p.a == vi && p.b == other) || (p.b == vi && p.a == other)) return p.id;
        return {};
    }

    json random_routes(int vi, const PlanRtb& t) {
        const PlanVpc& v = vpcs_[vi];
        json routes = json::array();
        std::set<std::string> dests;
        auto add = [&](json r) {
            std::string d = r.contains("DestinationCidrBlock") ? r["DestinationCidrBlock"].get<std::string>()
                            : r.contains("DestinationIpv6CidrBlock") ? r["DestinationIpv6CidrBlock"].get<std::string>()
                                                                      : r["DestinationPrefixListId"].get<std::string>();
            if (dests.insert(d).second) routes.push_back(r);
        };
        // Default routes.
        const PlanNat* pub = nat_of(vi, false);
        const PlanNat* priv = nat_of(vi, true);
        int dflt = int(rng_.below(10));
        // The NAT gateways' own subnets usually reach the internet (public NAT) or the TGW
        // (private NAT), as in a working design; otherwise NAT'd flows would mostly loop.
        auto holds = [&](int si) {
            return std::find(t.subnets.begin(), t.subnets.end(), si) != t.subnets.end() ||
                   (t.main && subnets_[si].rtb < 0);
        };
        if (pub && holds(pub->subnet) && !v.igw.empty() && rng_.chance(0.85)) dflt = 0;
        else if (priv && holds(priv->subnet) && !tgw_.empty() && rng_.chance(0.7)) dflt = 8;
        if (dflt < 5 && !v.igw.empty()) add(route("0.0.0.0/0", "GatewayId", v.igw));
        else if (dflt < 8 && pub) add(route("0.0.0.0/0", "NatGatewayId", pub->id));
        else if (dflt < 9 && !tgw_.empty()) add(route("0.0.0.0/0", "TransitGatewayId", tgw_));
        else if (rng_.chance(0.5)) add(route("0.0.0.0/0", "NetworkInterfaceId", appliance_eni(vi)));
        if (!v.cidr6.empty()) {
            int d6 = int(rng_.below(4));
            if (d6 == 0 && !v.igw.empty()) add(route("::/0", "GatewayId", v.igw));
            else if (d6 <= 2 && !v.eigw.empty()) add(route("::/0", "EgressOnlyInternetGatewayId", v.eigw));
        }
        int extra = rng_.range(1, 5);
        for (int i = 0; i < extra; ++i) {
            int other = int(rng_.below(static_cast<uint32_t>(vpcs_.size())));
            switch (rng_.below(16)) {
            case 0: case 1: {
                if (other == vi) break;
                std::string pcx = peering_to(vi, other);
                if (!pcx.empty()) add(route(vpcs_[other].cidr4, "VpcPeeringConnectionId", pcx));
                else if (!peerings_.empty() && rng_.chance(0.3))   // a peering of other VPCs: not usable here
                    add(route(vpcs_[other].cidr4, "VpcPeeringConnectionId", rng_.pick(peerings_).id));
                break;
            }
            case 2:
                if (!tgw_.empty() && other != vi)
                    add(route(rng_.chance(0.5) ? vpcs_[other].cidr4 : subnets_[rng_.pick(vpcs_[other].subnets)].cidr4,
                              "TransitGatewayId", tgw_));
                break;
            case 3: if (!tgw_.empty()) add(route(rng_.chance(0.5) ? "172.16.0.0/12" : "10.0.0.0/8", "TransitGatewayId", tgw_)); break;
            case 4:
                if (!v.vgw.empty() || rng_.chance(0.2))
                    add(route(rng_.chance(0.6) ? "192.168.100.0/24" : "192.168.0.0/16", "GatewayId",
                              v.vgw.empty() ? "vgw-0a01" : v.vgw));
                break;
            case 5:
                if (!v.vgw.empty()) {
                    json r = route("192.168.200.0/24", "GatewayId", v.vgw);
                    r["Origin"] = "EnableVgwRoutePropagation";
                    add(r);
                }
                break;
            case 6: add(route(pl_cust4_, rng_.chance(0.5) && !tgw_.empty() ? "TransitGatewayId" : "GatewayId",
                              rng_.chance(0.5) && !tgw_.empty() ? tgw_ : (v.igw.empty() ? "igw-0dead" : v.igw)));
                break;
            case 7: {
                // A whole own subnet through an appliance or the NAT gateway (more specific than local).
                const auto& s = subnets_[rng_.pick(v.subnets)];
                if (rng_.chance(0.7)) add(route(s.cidr4, "NetworkInterfaceId", appliance_eni(vi)));
                else if (pub) add(route(s.cidr4, "NatGatewayId", pub->id));
                break;
            }
            case 8: {
                json r = route("10.99.0.0/16", "NatGatewayId", "nat-0dead");
                r["State"] = "blackhole";
                add(r);
                break;
            }
            case 9: if (priv) add(route(rng_.chance(0.5) ? "172.16.0.0/12" : "198.51.100.0/24", "NatGatewayId", priv->id)); break;
            case 10: if (!v.cidr6.empty() && !v.eigw.empty()) add(route("2001:db8:ffff::/48", "EgressOnlyInternetGatewayId", v.eigw)); break;
            case 11: if (!v.cidr6.empty()) add(route(pl_cust6_, "GatewayId", v.igw.empty() ? "igw-0dead" : v.igw)); break;
            case 12: add(route("198.51.100.0/24", "NetworkInterfaceId", appliance_eni(vi))); break;
            case 13: if (!v.gwlb_endpoint.empty()) add(route(rng_.chance(0.5) ? "0.0.0.0/0" : "8.8.8.0/24", "GatewayId", v.gwlb_endpoint)); break;
            case 14: if (pub) add(route("8.8.8.0/24", "NatGatewayId", pub->id)); break;
            default:
                if (other != vi && !vpcs_[other].cidr6.empty()) {
                    std::string pcx = peering_to(vi, other);
                    if (!pcx.empty() && !v.cidr6.empty()) add(route(vpcs_[other].cidr6, "VpcPeeringConnectionId", pcx));
                }
                break;
            }
        }
        return routes;
    }

    void emit_route_tables() {
        plan_rtbs();
        json arr = json::array();
        for (const auto& t : rtbs_) {
            const PlanVpc& v = vpcs_[t.vpc];
            json routes = json::array();
            routes.push_back({{"DestinationCidrBlock", v.cidr4}, {"GatewayId", "local"}, {"Origin", "CreateRouteTable"},
                              {"State", "active"}});
            if (!v.extra4.empty())
                routes.push_back({{"DestinationCidrBlock", v.extra4}, {"GatewayId", "local"},
                                  {"Origin", "CreateRouteTable"}, {"State", "active"}});
            if (!v.cidr6.empty())
                routes.push_back({{"DestinationIpv6CidrBlock", v.cidr6}, {"GatewayId", "local"},
                                  {"Origin", "CreateRouteTable"}, {"State", "active"}});
            json assocs = json::array();
            json propagating = json::array();
            if (!t.edge_gw.empty()) {
                // Gateway route table: inbound to one subnet goes through an appliance.
                const auto& s = subnets_[rng_.pick(v.subnets)];
                routes.push_back(route(s.cidr4, "NetworkInterfaceId", appliance_eni(t.vpc)));
                assocs.push_back({{"RouteTableAssociationId", "rtbassoc-" + t.id.substr(4) + "e"}, {"Main", false},
                                  {"GatewayId", t.edge_gw}, {"AssociationState", {{"State", "associated"}}}});
            } else {
                for (const auto& r : random_routes(t.vpc, t)) {
                    routes.push_back(r);
                    if (r.value("Origin", "") == "EnableVgwRoutePropagation")
                        propagating = json::array({{{"GatewayId", v.vgw}}});
                }
                auto eps = gw_endpoint_rtbs_.find(v.gw_endpoint);
                if (eps != gw_endpoint_rtbs_.end())
                    for (const auto& id : eps->second)
                        if (id == t.id)
                            routes.push_back({{"DestinationPrefixListId", vocab::kS3PrefixList},
                                              {"GatewayId", v.gw_endpoint}, {"Origin", "CreateRoute"}, {"State", "active"}});
                if (t.main)
                    assocs.push_back({{"RouteTableAssociationId", "rtbassoc-" + t.id.substr(4) + "m"}, {"Main", true},
                                      {"AssociationState", {{"State", "associated"}}}});
                for (int si : t.subnets)
                    assocs.push_back({{"RouteTableAssociationId", "rtbassoc-" + subnets_[si].id.substr(7)},
                                      {"Main", false}, {"SubnetId", subnets_[si].id},
                                      {"AssociationState", {{"State", "associated"}}}});
            }
            arr.push_back({{"RouteTableId", t.id}, {"VpcId", v.id}, {"OwnerId", kOwner}, {"Routes", routes},
                           {"Associations", assocs}, {"PropagatingVgws", propagating}});
        }
        out_["RouteTables"] = arr;
    }
};

} // namespace

nlohmann::json settings_json(const Settings& s) {
    return {{"capture_at_instance", s.capture_at_instance},
            {"untracked_flows", s.untracked_flows},
            {"udp_stream_packets_each_way", s.udp_stream_packets_each_way},
            {"tcp_transitory_timeout", s.tcp_transitory_timeout},
            {"icmp_timeout", s.icmp_timeout},
            {"other_timeout", s.other_timeout},
            {"icmp_errors_need_rule", s.icmp_errors_need_rule},
            {"missing_nacl_default", s.missing_nacl_default},
            {"conntrack_capacity_per_eni", s.conntrack_capacity_per_eni},
            {"conntrack_table_capacity", s.conntrack_table_capacity},
            {"conntrack_emergency", s.conntrack_emergency},
            {"conntrack_emergency_timeout", s.conntrack_emergency_timeout},
            {"prefix_list_tie_lowest_id", s.prefix_list_tie_lowest_id},
            {"nat_port_min", s.nat_port_min},
            {"nat_max_flows_per_destination", s.nat_max_flows_per_destination},
            {"nat_idle_tcp", s.nat_idle_tcp},
            {"tgw_bgp_any_destination", s.tgw_bgp_any_destination},
            {"vpn_bgp_any_destination", s.vpn_bgp_any_destination},
            {"vpn_ignore_tunnel_status", s.vpn_ignore_tunnel_status},
            {"fragment_window", s.fragment_window}};
}

Result<GeneratedNetwork> generate_network(uint64_t seed) {
    Generator g(seed);
    GeneratedNetwork out;
    out.seed = seed;
    out.bundle = g.run();
    out.settings = g.settings();
    // Every seventh seed gets tiny per-ENI connection tracking tables, so that `conntrack`
    // drops occur in any run of seven or more consecutive seeds (the scaled-down suite).
    if (seed % 7 == 3) out.settings.conntrack_capacity_per_eni = 1 + seed / 7 % 4;
    // Every seventh (another residue) a small connection table (all ENIs), so that it fills, enters emergency
    // mode (CHOICE conntrack_emergency) and leaves it; now and then with the mode off.
    if (seed % 7 == 5) {
        out.settings.conntrack_table_capacity = 6 + seed / 7 % 20;
        out.settings.conntrack_emergency_timeout = 2 + static_cast<int>(seed / 7 % 12);
        out.settings.conntrack_emergency = seed / 7 % 5 != 0;
    }
    out.default_settings = settings_json(out.settings) == settings_json(Settings{});
    auto net = load_network_text(out.bundle.dump(), "generated network (seed " + std::to_string(seed) + ")");
    if (!net) {
        Error e = net.error();
        e.message = "the generator emitted a network the loader refuses: " + e.message;
        return e;
    }
    out.net = std::move(*net);
    return out;
}

} // namespace vpcfw::diff
