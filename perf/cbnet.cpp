// vpcfw-cbnet: turns ClassBench rule files (and their traces) into an AWS network bundle,
// a pcap of the trace as frames that cross the network's NACLs and security groups, and
// the same rules and headers as ClassBench text for dpdk-test-acl. See perf/README.md.
#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/classbench.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/status.hpp"

namespace po = boost::program_options;
using namespace vpcfw;

namespace {


std::vector<std::string> split_files(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (const auto& a : args) {
        std::stringstream ss(a);
        std::string f;
        while (std::getline(ss, f, ','))
            if (!f.empty()) out.push_back(f);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    po::options_description desc(
        "usage: vpcfw-cbnet --rules FILE[,FILE...] --count N [--form nacl|sg|both] --out NET.json [options]\n"
        "\n"
        "Builds an AWS network (describe-* JSON bundle) from ClassBench rules: NACL entries and/or\n"
        "security-group rules, one ENI per trace address. Rules are taken from the files in order and,\n"
        "past their end, synthesised from them (see perf/README.md).\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("rules,r", po::value<std::vector<std::string>>()->required()->composing(),
         "ClassBench rule file(s), comma separated or repeated")
        ("count,c", po::value<size_t>()->required(), "number of rules")
        ("form,f", po::value<std::string>()->default_value("both"), "nacl | sg | both")
        ("out,o", po::value<std::string>(), "write the network bundle (JSON) here")
        ("trace,t", po::value<std::string>(), "ClassBench trace to use (default: the first file's own, else sampled)")
        ("trace-out", po::value<std::string>(), "write the carried trace as a pcap of Ethernet frames")
        ("acl-rules-out", po::value<std::string>(), "write the rules as ClassBench text for dpdk-test-acl")
        ("acl-trace-out", po::value<std::string>(), "write the carried trace as ClassBench text for dpdk-test-acl")
        ("deny-every", po::value<uint32_t>()->default_value(4), "NACL entry i denies when i % K == K-1 (0: all allow)")
        ("nacl-chunk", po::value<uint32_t>()->default_value(16000), "rules per NACL (bigger sets use more subnets)")
        ("rules-per-group", po::value<uint32_t>()->default_value(1000), "SG rules per security group")
        ("max-enis", po::value<size_t>()->default_value(20000), "ENIs (distinct trace addresses) at most")
        ("max-flows", po::value<size_t>()->default_value(0), "trace headers carried at most (0: all)")
        ("seed", po::value<uint64_t>()->default_value(1), "seed for sampled traces")
        ("no-verify", "do not load the written network back with the vpcfw loader");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        if (vm.count("help")) {
            std::cout << desc << "\n";
            return kExitOk;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "vpcfw-cbnet: " << e.what() << "\n(vpcfw-cbnet --help for usage)\n";
        return kExitUsage;
    }
    cb::NetOptions opt;
    if (!cb::parse_form(vm["form"].as<std::string>(), opt.form)) {
        std::cerr << "vpcfw-cbnet: --form must be nacl, sg or both, not '" << vm["form"].as<std::string>() << "'\n";
        return kExitUsage;
    }
    opt.deny_every = vm["deny-every"].as<uint32_t>();
    opt.nacl_chunk = vm["nacl-chunk"].as<uint32_t>();
    opt.rules_per_group = vm["rules-per-group"].as<uint32_t>();
    opt.max_enis = vm["max-enis"].as<size_t>();
    opt.max_flows = vm["max-flows"].as<size_t>();

    auto files = split_files(vm["rules"].as<std::vector<std::string>>());
    auto w = cb::make_workload(files, vm["count"].as<size_t>(), vm.count("trace") ? vm["trace"].as<std::string>() : "",
                               vm["seed"].as<uint64_t>());
    if (!w.ok()) {
        std::cerr << "vpcfw-cbnet: " << w.error().str() << "\n";
        return kExitUsage;
    }
    auto net = cb::build_network(w->rules, w->trace, opt);
    if (!net.ok()) {
        std::cerr << "vpcfw-cbnet: " << net.error().str() << "\n";
        return kExitUsage;
    }
    std::cerr << "rules: " << w->how << "\n"
              << "network: form " << cb::form_name(opt.form) << ", " << net->enis.size() << " ENIs, " << net->chunks
              << " chunk(s) of subnets, " << net->nacl_entries << " NACL rule entries, " << net->sg_rules
              << " SG rules in " << net->groups << " groups\n"
              << "flows: " << net->flows.size() << " carried of " << w->trace.size() << " headers (skipped: "
              << net->skipped_special << " special address, " << net->skipped_role << " address role/chunk clash, "
              << net->skipped_cap << " ENI cap; " << net->repaired << " special addresses replaced)\n";

    if (vm.count("out")) {
        std::string path = vm["out"].as<std::string>();
        std::string text = net->bundle.dump(1);
        {
            std::ofstream out(path);
            out << text << "\n";
            if (!out) {
                std::cerr << "vpcfw-cbnet: " << path << ": cannot write\n";
                return kExitRuntime;
            }
        }
        if (!vm.count("no-verify")) {
            auto loaded = load_network_text(text, path);
            if (!loaded.ok()) {
                std::cerr << "vpcfw-cbnet: the written network does not load: " << loaded.error().str() << "\n";
                return kExitRuntime;
            }
            std::cerr << "wrote " << path << " (loads: " << loaded->enis.size() << " ENIs, "
                      << loaded->network_acls.size() << " NACLs, " << loaded->security_groups.size() << " groups)\n";
        }
    }
    if (vm.count("trace-out")) {
        std::vector<std::vector<uint8_t>> frames;
        frames.reserve(net->flows.size());
        for (const auto& f : net->flows) {
            std::vector<uint8_t> fr(cb::kFrameLen);
            cb::build_frame(*net, f, false, 0x02 /* SYN */, fr.data());
            frames.push_back(std::move(fr));
        }
        Status s = cb::write_pcap(vm["trace-out"].as<std::string>(), frames);
        if (!s.ok()) {
            std::cerr << "vpcfw-cbnet: " << s.error().str() << "\n";
            return kExitRuntime;
        }
    }
    if (vm.count("acl-rules-out")) {
        Status s = cb::write_rules(vm["acl-rules-out"].as<std::string>(), w->rules);
        if (!s.ok()) {
            std::cerr << "vpcfw-cbnet: " << s.error().str() << "\n";
            return kExitRuntime;
        }
    }
    if (vm.count("acl-trace-out")) {
        std::vector<cb::Header> hs;
        hs.reserve(net->flows.size());
        for (const auto& f : net->flows) hs.push_back(f.h);
        Status s = cb::write_trace(vm["acl-trace-out"].as<std::string>(), hs);
        if (!s.ok()) {
            std::cerr << "vpcfw-cbnet: " << s.error().str() << "\n";
            return kExitRuntime;
        }
    }
    return kExitOk;
}
