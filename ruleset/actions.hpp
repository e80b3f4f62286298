// AWS EC2 API actions on the model (`apply` in scenarios and `vpcfw ctl`): each validates
// as AWS does, refuses with AWS's error code and leaves the model unchanged, or changes the
// model as AWS would. Control thread only; the caller publishes the changed model.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// What an applied action did, for the evaluator to apply AWS's effect on live flows.
struct ActionEffect {
    std::string action;
    // ENIs whose Elastic IP / public IP mapping changed (flows through the old mapping stop).
    std::vector<std::string> remapped_public_ips;
};

// Names of the supported actions, for --help and errors.
const std::vector<std::string>& supported_actions();

// Applies `action` (e.g. "AuthorizeSecurityGroupIngress") with `params` in AWS's request
// shape (as `aws ec2 ... --cli-input-json` takes them). On refusal returns an Error whose
// `code` is AWS's error code and leaves `net` untouched.
Result<ActionEffect> apply_action(Network& net, const std::string& action,
                                  const nlohmann::json& params);

} // namespace vpcfw
