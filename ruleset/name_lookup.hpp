// Names people use for network objects: an ENI found by its id, its Name tag, its
// instance's id or Name tag, or one of its private IP addresses (for `--from`, `--eni`);
// a subnet by its id or Name tag; and the Name tag shown beside an id wherever one is
// printed. A name that fits several objects is an error listing them (the caller exits 2).
// Cold path; reads the model only.
#pragma once

#include <map>
#include <string>

#include "ruleset/decision.hpp"

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// The ENI that `text` names. Error: none ("no ENI named 'x' (an ENI id, its Name tag, its
// instance's id or Name tag, or a private IP)") or several ("'x' names 2 ENIs: eni-1
// (web), eni-2 (web)").
Result<Idx> find_eni(const Network& net, const std::string& text);
// The subnet that `text` names (its id or Name tag), with the same errors.
Result<Idx> find_subnet(const Network& net, const std::string& text);

// An origin (docs/interface.md "Origins") as the evaluators take it: "auto", "internet", a
// tgw-attach-/vgw-/pcx- id that the network has, or an ENI by any name find_eni takes
// (returned as its id). Error: not in the network, or ambiguous (exit 2).
Result<std::string> origin_id(const Network& net, const std::string& text);

// The Name tag of the object `id` (any kind; an ENI without one shows its instance's),
// or "" when it has none or is not in the network.
std::string name_of(const Network& net, const std::string& id);
// "eni-0a1 (web-1)", or the bare id when it has no name.
std::string with_name(const Network& net, const std::string& id);

// The Name tags of the ids a decision prints (from, to, path, rule, trace hops): id ->
// name, only ids that have one. `explain` and replay's decision lines show it as `names`.
std::map<std::string, std::string> names_in(const Network& net, const Decision& d);

} // namespace vpcfw
