// Rendering a Decision (decision.hpp): the action's name, the JSON object of docs/interface.md
// (decisions files, `explain --json`, scenarios) and the text `explain` prints for a person.
// decision_json and decision_text are declared in reference.hpp. Cold path; pure functions.
#include <sstream>

#include "ruleset/decision.hpp"
#include "ruleset/reference.hpp"

namespace vpcfw {

const char* action_name(Action a) { return a == Action::Accept ? "ACCEPT" : "DROP"; }

nlohmann::json decision_json(const Decision& d) {
    nlohmann::json j;
    j["action"] = action_name(d.action);
    if (d.action == Action::Drop) {
        j["layer"] = layer_name(d.layer);
        if (!d.reason.empty()) j["reason"] = d.reason;
        if (!d.rule.empty()) j["rule"] = d.rule;
    }
    j["from"] = d.from;
    if (!d.origin.empty()) j["origin"] = d.origin;
    if (d.action == Action::Accept) {
        j["to"] = d.to;
        if (!d.reason.empty()) j["reason"] = d.reason;
    }
    j["flow"] = d.flow;
    if (!d.nat.empty()) j["nat"] = d.nat;
    j["tracked"] = d.tracked;
    j["path"] = d.path;
    if (!d.choices.empty()) j["choices"] = d.choices;
    if (!d.notes.empty()) j["notes"] = d.notes;
    if (!d.alerts.empty()) j["alerts"] = d.alerts;
    return j;
}

std::string decision_text(const Decision& d) {
    std::ostringstream o;
    o << d.flow << "  (from " << d.from;
    if (!d.origin.empty() && d.origin != "given") o << ", origin " << d.origin;
    o << ")\n";
    int n = 1;
    for (const auto& s : d.trace) {
        o << "  " << n++ << ". ";
        if (!s.hop.empty()) o << s.hop << "  ";
        o << s.layer << ": " << s.verdict;
        if (!s.rule.empty()) o << "  [" << s.rule << "]";
        if (!s.detail.empty()) {
            std::istringstream lines(s.detail);
            std::string line;
            bool firstLine = true;
            while (std::getline(lines, line)) {
                if (firstLine) o << "  " << line;
                else o << "\n       - " << line;
                firstLine = false;
            }
        }
        o << "\n";
    }
    o << "  => " << action_name(d.action);
    if (d.action == Action::Accept) o << " to " << d.to;
    else {
        o << " at " << layer_name(d.layer);
        if (!d.reason.empty()) o << " (" << d.reason << ")";
        if (!d.rule.empty()) o << " rule " << d.rule;
    }
    if (!d.nat.empty()) o << ", nat " << d.nat;
    o << (d.tracked ? ", tracked" : "");
    o << "\n";
    for (const auto& c : d.choices) o << "  rests on CHOICE " << c << " (docs/semantics.md)\n";
    for (const auto& note : d.notes) o << "  note: " << note << "\n";
    for (const auto& a : d.alerts) o << "  alert: " << a << "\n";
    return o.str();
}

} // namespace vpcfw
