// Option parsing shared by the subcommands (Boost.Program_options): the parsed options and
// one call that parses a command's words, printing a usage error the same way for every
// command. Cold path.
#pragma once

#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "ruleset/model.hpp"

namespace vpcfw {

struct Parsed {
    boost::program_options::variables_map vm;
    bool help = false;
};

// Parses `args` (after the command word) against `desc`, with `posName` collecting the
// remaining words (nullptr: none allowed). Returns false (and prints why, naming `cmd`) on
// a usage error.
bool parse(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
           const char* posName, Parsed& out, std::ostream& err, const std::string& cmd);

// Prints the loader's warnings ("warning: FILE:WHERE: message") to `err`; with `quiet`
// (`-q`), not those about files without network data (AvailabilityZones.json in a real
// export).
void print_load_warnings(const Network& net, bool quiet, std::ostream& err);

// The one `-q`/`--quiet` option, added to a command's options.
void add_quiet_option(boost::program_options::options_description& desc);

} // namespace vpcfw
