// placeholder: being written
#include "ruleset/lint.hpp"
