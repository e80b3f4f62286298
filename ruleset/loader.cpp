// placeholder: being written
#include "ruleset/loader.hpp"
