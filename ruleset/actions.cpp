// placeholder: being written
#include "ruleset/actions.hpp"
