// BurstClassify (burst_classify.hpp): the side keys of every missed packet's first hop,
// classified per family and side in one call each. The path guessed here mirrors the
// walk's usual first hop (walk.cpp origin "auto" / given ENI, then walk_routing.cpp's local
// delivery): source ENI by MAC, else by private address; destination ENI by private address
// in the source's VPC. A wrong guess only means the walk classifies that question itself.
#include "dataplane/burst_classify.hpp"

#include <cstring>

#include "dataplane/compiled_impl.hpp"

namespace vpcfw {

namespace {

uint32_t find_or_none(const uint32_t* e) { return e ? *e : kNone; }

} // namespace

void BurstClassify::classify(const CompiledRuleset& rs, const ParsedPacket* burst, const bool* miss, size_t n) {
    const CompiledRuleset::Impl& t = rs.impl();
    const AclTables& acl = rs.acl();
    uint32_t cnt[2][2] = {{0, 0}, {0, 0}};   // [v6][side]
    burst_n_ = static_cast<uint32_t>(n);
    current_ = -1;
    for (size_t i = 0; i < n; ++i) {
        slot_[0][i] = slot_[1][i] = kNoSlot;
        if (!miss[i]) continue;
        const ParsedPacket& pp = burst[i];
        const FlowKey& k = pp.key;
        IpAddr src = addr_of(k.src, k.version), dst = addr_of(k.dst, k.version);
        uint32_t se = kNone;
        if (pp.origin.kind == OriginSpec::Kind::Eni) {
            se = pp.origin.index < t.enis.size() ? pp.origin.index : kNone;
        } else if (pp.origin.kind == OriginSpec::Kind::Auto) {
            if (pp.has_src_mac) {
                MacKey mk{};
                std::memcpy(mk.mac, pp.src_mac, 6);
                se = find_or_none(t.mac_owner.find(mk));
            }
            if (se == kNone) se = find_or_none(t.private_any.find(ScopedAddr::make(kNone, src)));
        }
        uint32_t de = se != kNone ? find_or_none(t.private_in_vpc.find(ScopedAddr::make(t.enis[se].vpc, dst)))
                                  : find_or_none(t.private_any.find(ScopedAddr::make(kNone, dst)));
        if (se == kNone && de == kNone) continue;
        bool v6 = !k.is_v4();
        v6_[i] = v6;
        uint16_t l4 = acl_l4_word(k);
        for (int side : {1, 0}) {
            uint32_t e = side ? se : de;
            if (e == kNone) continue;
            uint32_t nacl = t.subnets[t.enis[e].subnet].nacl;
            const Be32* remote = side ? k.dst : k.src;
            uint32_t at = cnt[v6][side]++;
            slot_[side][i] = static_cast<uint8_t>(at);
            if (!v6) {
                AclSideKey4& f = keys4_[side][at];
                f.proto = k.proto;
                f.nacl = Be16::from_host(nacl == kNone ? 0 : static_cast<uint16_t>(nacl));
                f.group_set = Be16::from_host(acl.group_set_of_eni(e));
                f.remote = remote[0];
                f.remote_set = Be16::from_host(acl.remote_set4(remote[0]));
                f.l4 = Be16::from_host(l4);
            } else {
                AclSideKey6& f = keys6_[side][at];
                f.proto = k.proto;
                f.nacl = Be16::from_host(nacl == kNone ? 0 : static_cast<uint16_t>(nacl));
                f.group_set = Be16::from_host(acl.group_set_of_eni(e));
                for (int w = 0; w < 4; ++w) f.remote[w] = remote[w];
                f.remote_set = Be16::from_host(acl.remote_set6(remote));
                f.l4 = Be16::from_host(l4);
            }
        }
    }
    for (int side : {0, 1}) {
        if (cnt[0][side])
            acl.classify_side(side == 1, std::span<const AclSideKey4>(keys4_[side], cnt[0][side]),
                              std::span<uint32_t>(results4_[side], kAclCategories * cnt[0][side]));
        if (cnt[1][side])
            acl.classify_side(side == 1, std::span<const AclSideKey6>(keys6_[side], cnt[1][side]),
                              std::span<uint32_t>(results6_[side], kAclCategories * cnt[1][side]));
    }
}

template <typename Key>
bool BurstClassify::answer(const AclTables& acl, const Key& q, bool nacl, NaclVerdict* nv, SgVerdict* sv) const {
    if (current_ < 0) return false;
    bool egress = q.direction.host() == kAclEgress;
    int side = egress ? 1 : 0;
    uint8_t at = slot_[side][current_];
    if (at == kNoSlot) return false;
    uint32_t result;
    if constexpr (sizeof(Key) == sizeof(AclKey4)) {
        if (v6_[current_] || !side_key_asks(keys4_[side][at], nacl, q)) return false;
        result = results4_[side][kAclCategories * at + (nacl ? kCatNacl : kCatSg)];
    } else {
        if (!v6_[current_] || !side_key_asks(keys6_[side][at], nacl, q)) return false;
        result = results6_[side][kAclCategories * at + (nacl ? kCatNacl : kCatSg)];
    }
    if (nacl) *nv = acl.nacl_verdict(result, q.table.host(), egress);
    else *sv = AclTables::sg_verdict(result);
    return true;
}

template bool BurstClassify::answer(const AclTables&, const AclKey4&, bool, NaclVerdict*, SgVerdict*) const;
template bool BurstClassify::answer(const AclTables&, const AclKey6&, bool, NaclVerdict*, SgVerdict*) const;

} // namespace vpcfw
