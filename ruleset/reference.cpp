// placeholder: being written
#include "ruleset/reference.hpp"
