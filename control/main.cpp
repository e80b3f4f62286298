// vpcfw: what AWS VPC networking would do with each packet. See `vpcfw --help`.
#include <iostream>

#include "control/cli.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return vpcfw::run_cli(args, std::cout, std::cerr);
}
