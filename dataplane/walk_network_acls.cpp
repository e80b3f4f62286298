// The compiled walk (dataplane/pipeline_impl.hpp): network ACLs (docs/semantics.md §5), the
// burst's classification of the check (burst_classify.hpp) or one rte_acl classification; the first matching entry decides, the default entry
// denies. Mirrors ruleset/ref_network_acls.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

bool Pipeline::Impl::nacl_check(Ctx& c, uint32_t subnet, bool egress, const Packet& p) {
    Layer layer = egress ? Layer::NaclEgress : Layer::NaclIngress;
    uint32_t acl_idx = t->subnets[subnet].nacl;
    if (t->subnets[subnet].nacl_missing) choice(c, kChoiceMissingNaclDefault);  // §5 CHOICE
    if (acl_idx == kNone) return drop(c, layer, R(Reason::DefaultDeny), t->sym_nacl_none[egress]);
    const AclTables& acl = rs->acl();
    const IpAddr& remote = egress ? p.dst : p.src;
    uint16_t l4 = acl_l4_word(p.proto, p.dport, p.icmp_type, p.icmp_code);
    uint16_t dir = egress ? kAclEgress : kAclIngress;
    NaclVerdict nv;
    if (remote.is_v4()) {
        Be32 r;
        std::memcpy(&r.raw, remote.bytes.data(), 4);
        AclKey4 k = make_acl_key4(p.proto, static_cast<uint16_t>(acl_idx), dir, r, 0, l4);
        if (!pre.nacl(acl, k, nv)) acl.classify_nacl(std::span<const AclKey4>(&k, 1), std::span<NaclVerdict>(&nv, 1));
    } else {
        Be32 r[4];
        std::memcpy(r, remote.bytes.data(), 16);
        AclKey6 k = make_acl_key6(p.proto, static_cast<uint16_t>(acl_idx), dir, r, 0, l4);
        if (!pre.nacl(acl, k, nv)) acl.classify_nacl(std::span<const AclKey6>(&k, 1), std::span<NaclVerdict>(&nv, 1));
    }
    ++counters.classifications;
    if (!nv.rule.valid() || acl.nacl_is_star(nv.rule)) return drop(c, layer, R(Reason::DefaultDeny), t->sym_nacl_star[egress][acl_idx]);
    const uint32_t* rs_sym = t->rule_sym.find(nv.rule.raw);
    uint32_t rule = rs_sym ? *rs_sym : 0;
    if (nv.allow) {
        path(c, rule);
        return true;
    }
    return drop(c, layer, R(acl.nacl_is_default_deny(nv.rule) ? Reason::DefaultDeny : Reason::DenyRule), rule);
}

} // namespace vpcfw
