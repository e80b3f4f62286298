// AWS Network Firewall as plain data (docs/inspection.md §1): firewalls with their endpoints
// per AZ, firewall policies, and rule groups, whose rules are already parsed (stateless
// rules as AWS describes them, stateful rules as Suricata rules, ruleset/suricata.hpp).
// Built by the loader (ruleset/loader_firewalls.cpp); read by the reference evaluator
// (ruleset/ref_inspection.cpp), lint and the compiler. Cold path; immutable once loaded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ruleset/ip.hpp"
#include "ruleset/suricata.hpp"

namespace vpcfw {

// ---------------------------------------------------------------------------------------
// Rule groups

using PortRange = std::pair<int, int>;   // inclusive

// One `StatelessRulesAndCustomActions.StatelessRules` element (§3).
struct NfwStatelessRule {
    int priority = 0;
    std::vector<Cidr> sources, destinations;          // empty = any
    std::vector<PortRange> source_ports, destination_ports;
    std::vector<int> protocols;                       // empty = any
    std::vector<std::pair<uint8_t, uint8_t>> tcp_flags; // (Flags, Masks) per element (C20)
    std::string action;                               // aws:pass | aws:drop | aws:forward_to_sfe
    std::vector<std::string> custom_actions;          // names; they only count
};

// One `RulesSourceList` (§4.4), kept for display; its generated rules are in `rules`.
struct NfwDomainList {
    std::vector<std::string> targets;                 // lowercased (C8)
    std::vector<std::string> target_types;            // TLS_SNI, HTTP_HOST
    std::string generated_rules_type;                 // ALLOWLIST | DENYLIST | REJECTLIST | ALERTLIST
};

struct NfwRuleGroup {
    std::string arn;
    std::string name;                                 // RuleGroupName
    std::string type;                                 // STATELESS | STATEFUL
    std::string rule_order = "DEFAULT_ACTION_ORDER";  // StatefulRuleOptions.RuleOrder
    std::string source_kind;                          // StatelessRulesAndCustomActions | RulesSourceList | RulesString | StatefulRules
    std::string file, where;                          // where it was read (lint findings)
    // RuleVariables: IPSets and PortSets by name.
    std::map<std::string, std::vector<Cidr>> ip_sets;
    std::map<std::string, std::vector<PortRange>> port_sets;
    std::map<std::string, std::string> reference_sets;// IPSetReferences: name -> prefix list id/ARN
    std::vector<NfwStatelessRule> stateless;          // sorted by priority
    std::vector<std::string> custom_actions;          // defined CustomActions names
    NfwDomainList domain_list;                        // RulesSourceList
    std::vector<SuricataRule> rules;                  // stateful rules, as written / generated
    bool managed_unexported = false;                  // C12: a referenced AWS-managed group not in the export
    bool missing = false;                             // referenced, not exported (`check` only: LoadOptions)
};

// ---------------------------------------------------------------------------------------
// Policies

struct NfwGroupRef {
    std::string arn;
    int priority = -1;                                // -1 = absent
    bool drop_to_alert = false;                       // Override.Action DROP_TO_ALERT
    std::string file, where;                          // where the reference was written
};

struct NfwPolicy {
    std::string arn;
    std::string name;                                 // FirewallPolicyName
    std::vector<std::string> stateless_default;       // StatelessDefaultActions
    std::vector<std::string> stateless_fragment_default;
    std::vector<std::string> stateless_custom_actions;
    std::vector<NfwGroupRef> stateless_refs;          // sorted by priority
    std::vector<NfwGroupRef> stateful_refs;           // as listed (C15 reference order)
    std::string rule_order = "DEFAULT_ACTION_ORDER";  // StatefulEngineOptions.RuleOrder
    std::string stream_exception = "DROP";            // StatefulEngineOptions.StreamExceptionPolicy
    int tcp_idle_s = 350;                             // FlowTimeouts.TcpIdleTimeoutSeconds
    std::vector<std::string> stateful_default;        // StatefulDefaultActions
    std::vector<Cidr> home_net;                       // PolicyVariables.RuleVariables.HOME_NET
    bool has_home_net = false;
};

// ---------------------------------------------------------------------------------------
// Firewalls

struct NfwEndpoint {
    std::string az;
    std::string subnet_id;
    std::string endpoint_id;                          // vpce-...
    std::string status = "READY";                     // Attachment.Status
};

struct NfwFirewall {
    std::string arn;
    std::string name;                                 // FirewallName
    std::string policy_arn;
    std::string vpc_id;
    std::vector<std::string> subnet_ids;              // SubnetMappings
    std::vector<NfwEndpoint> endpoints;               // FirewallStatus.SyncStates, per AZ
    bool transit_gateway = false;                     // TGW-attached (LATER, §10.16)
};

// Where a vpce id leads: firewall and endpoint index; {kNoFw, 0} when not a firewall endpoint.
inline constexpr uint32_t kNoFw = 0xffffffffu;

} // namespace vpcfw
