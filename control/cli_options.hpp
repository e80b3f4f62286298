// Option parsing shared by the subcommands (Boost.Program_options): the parsed options and
// one call that parses a command's words, printing a usage error the same way for every
// command. Cold path.
#pragma once

#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>
#include <vector>

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

} // namespace vpcfw
