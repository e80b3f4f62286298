// The reference evaluator: docs/semantics.md, transcribed. This file holds the walk that ties the
// sections together (a packet's fragments, §11; its origin and the path from it; the commit
// of state once it is accepted) and the public API (evaluate, apply, replace_network). The
// sections live beside it, one file each: ref_origins.cpp (§2), ref_security_groups.cpp
// (§4), ref_network_acls.cpp (§5), ref_routing.cpp (§3, §6), ref_gateways.cpp (§7),
// ref_peering_tgw_vgw_endpoints.cpp (§8), ref_objects.cpp (§1, §9, §10), sharing the state
// declared in ref_state.hpp. Linear scans everywhere; clarity over speed. Each layer appends
// a TraceStep so `explain` can show the path and why the other rules did not match.
#include "ruleset/reference.hpp"

#include "ruleset/ref_state.hpp"

namespace vpcfw {

namespace ref {

Decision State::evaluate(const Packet& pkt, const std::string& fromSpec, double now) {
    Decision d;
    Ctx c;
    c.d = &d;
    // The replay clock: a packet older than the latest one seen is judged at the latest
    // time, so no state expires or moves back in time (the pipeline's StateTables::clock).
    if (now > clock) clock = now;
    now = clock;
    c.now = now;
    d.flow = pkt.flow_str();
    Packet p = pkt;
    if (p.vlan >= 0) step(c, "", "parse", "strip", {}, "VLAN tag " + std::to_string(p.vlan) + " stripped before evaluation");

    // §11 non-first fragments follow their first fragment.
    if (p.frag == Frag::More || p.frag == Frag::Last) {
        FragKey k{p.src, p.dst, p.proto, p.frag_id};
        auto it = frags.find(k);
        choice(c, "fragment_window");
        if (it == frags.end() || now - it->second.first_seen > cfg.fragment_window) {
            if (it != frags.end()) frags.erase(it);
            if (fromSpec == "auto" || fromSpec.empty()) {
                Idx e = eni_by_any_private(p.src);
                d.from = e != kNone ? net.enis[e].id : outside_origin(p.src);
                d.origin = e != kNone ? "ip" : "outside";
            } else {
                d.from = fromSpec;
                d.origin = "given";
            }
            step(c, "", "parse", "drop", {}, "a non-first fragment without its first fragment (within " +
                                                 std::to_string(cfg.fragment_window) + " s)");
            drop(c, Layer::Parse, "fragment-without-first");
            return d;
        }
        Decision f = it->second.decision;
        f.flow = d.flow;
        f.trace.insert(f.trace.begin(), TraceStep{"", "parse", "fragment", {}, "takes the decision of its first fragment"});
        f.choices = d.choices;
        return f;
    }

    // Origin (§2), then the walk from it.
    bool ok = walk_from_origin(c, fromSpec, p);

    if (ok) {
        commit_ct(c);
        for (const auto& pn : c.nat) {
            nat_out[pn.out] = NatEntry{pn.inside, now};
            nat_in[pn.in] = pn.out;
        }
        for (const auto& k : c.eigw) eigw[k] = now;
        for (const auto& [k, az] : c.appliance) appliance_az[k] = az;
    }
    d.tracked = ok && c.last_sg_seen && c.last_sg_tracked;
    if (!ok && c.last_sg_seen) d.tracked = false;
    if (pkt.frag == Frag::First) frags[FragKey{pkt.src, pkt.dst, pkt.proto, pkt.frag_id}] = FragEntry{now, d};
    if (d.action == Action::Drop && d.layer == Layer::None) d.layer = Layer::Route;
    return d;
}

} // namespace ref

// The private State of ReferenceEvaluator is the evaluator of ref_state.hpp.
struct ReferenceEvaluator::State : ref::State {};

// ---------------------------------------------------------------------------------------

ReferenceEvaluator::ReferenceEvaluator(Network net, Settings settings) : st_(std::make_unique<State>()) {
    fill_nat_public_ips(net);
    st_->ct_sweep_all(st_->clock);
    st_->ct_expiry_bound = -ref::State::kNoExpiry;
    st_->net = std::move(net);
    st_->cfg = settings;
}
ReferenceEvaluator::~ReferenceEvaluator() = default;
ReferenceEvaluator::ReferenceEvaluator(ReferenceEvaluator&&) noexcept = default;
ReferenceEvaluator& ReferenceEvaluator::operator=(ReferenceEvaluator&&) noexcept = default;

const Network& ReferenceEvaluator::network() const { return st_->net; }
const Settings& ReferenceEvaluator::settings() const { return st_->cfg; }

Decision ReferenceEvaluator::evaluate(const Packet& packet, const std::string& from, double now) {
    return st_->evaluate(packet, from, now);
}

Result<ActionEffect> ReferenceEvaluator::apply(const std::string& action, const nlohmann::json& params, double now) {
    (void)now;
    // SG changes leave tracked entries alone (§4); NACL and route changes apply to the next
    // packet because nothing about them is cached; EIP re-association moves inbound traffic
    // at once because the IGW translation reads the current mapping. An entry expired
    // under the old timeouts stays gone under longer new ones.
    st_->ct_sweep_all(st_->clock);
    st_->ct_expiry_bound = -ref::State::kNoExpiry;   // per-ENI timeouts may get shorter
    return apply_action(st_->net, action, params);
}

void ReferenceEvaluator::replace_network(Network net) {
    fill_nat_public_ips(net);
    st_->ct_sweep_all(st_->clock);
    st_->net = std::move(net);
}

size_t ReferenceEvaluator::tracked_entries() const { return st_->conntrack.size(); }
uint64_t ReferenceEvaluator::conntrack_emergencies() const { return st_->ct_emergencies; }

} // namespace vpcfw
