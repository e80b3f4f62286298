// placeholder: being written
#include "ruleset/packet.hpp"
