// Random but valid AWS networks for the differential suite (reference evaluator vs the
// compiled pipeline). A seed gives one network, always the same one: emitted as the
// AWS-shaped JSON bundle the loader reads (so a failure can be written to a file and
// replayed with `vpcfw explain` / `vpcfw scenario`) and loaded through load_network_text.
// Addresses, ports and peers are drawn from a small shared vocabulary (Vocab below) so
// that the traffic generator's packets match rules, routes and each other often.
// Cold test code; not thread-safe per object (one generator per thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ruleset/model.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::diff {

// A small deterministic PRNG (splitmix64): the same sequence on every platform and
// standard library, unlike std::uniform_int_distribution.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed ^ 0x9e3779b97f4a7c15ull) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); 0 when n == 0.
    uint32_t below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(next() % n); }
    // Uniform in [lo, hi].
    int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint32_t>(hi - lo + 1))); }
    bool chance(double p) { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0) < p; }
    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[below(static_cast<uint32_t>(v.size()))]; }
    template <typename T, size_t N>
    const T& pick(const T (&a)[N]) { return a[below(static_cast<uint32_t>(N))]; }
    // Derives an independent stream (for sub-generators).
    uint64_t fork() { return next() ^ 0xd1b54a32d192ed03ull; }

private:
    uint64_t s_;
};

// The shared address vocabulary. VPC n (1-based) owns 10.n.0.0/16 (and, for some,
// 2600:1f18:0:n00::/56); subnet j of it 10.n.j.0/24 (2600:1f18:0:n0j::/64).
namespace vocab {
inline const std::vector<std::string> kInternet4 = {"198.51.100.7", "198.51.100.77", "198.51.100.200", "8.8.8.8",
                                                    "52.216.10.20", "3.5.1.9", "192.0.2.44"};
inline const std::vector<std::string> kInternet6 = {"2001:db8:ffff::7", "2001:db8:ffff::77", "2001:db8:eeee::1"};
inline const std::vector<std::string> kVgwSide = {"192.168.100.5", "192.168.100.77", "192.168.200.9"};
inline const std::vector<std::string> kTgwVpnSide = {"172.16.1.5", "172.16.9.9", "172.31.0.4"};
inline const char* kS3PrefixList = "pl-63a5400a";
inline const std::vector<std::string> kS3Cidrs = {"52.216.0.0/15", "3.5.0.0/19"};
inline const std::vector<uint16_t> kServerPorts = {22, 53, 80, 123, 443, 3306, 5000, 8080, 1023, 1024, 65535};
inline const std::vector<uint16_t> kClientPorts = {40000, 40001, 40002, 51000, 1024, 500, 80, 65535};
inline const std::vector<uint16_t> kIcmpIds = {0, 1, 7, 1000, 1024, 2000};
} // namespace vocab

struct GeneratedNetwork {
    uint64_t seed = 0;
    nlohmann::json bundle;        // the AWS-shaped JSON, as written to a dump
    Network net;                  // bundle loaded through load_network_text
    Settings settings;            // the CHOICE settings both engines use for this network
    bool default_settings = true; // settings == Settings{} (a dumped scenario reproduces exactly)
};

// The network of `seed`. An Error only if the generator emitted something the loader
// refuses (a bug in the generator: the message names it).
Result<GeneratedNetwork> generate_network(uint64_t seed);

// Settings as JSON (for dumps of networks whose settings are not the defaults).
nlohmann::json settings_json(const Settings& s);

} // namespace vpcfw::diff
