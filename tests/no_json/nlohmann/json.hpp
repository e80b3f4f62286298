// Stands in for <nlohmann/json.hpp> when dataplane/ is compiled (dataplane/meson.build and
// scripts/check_headers.sh put this folder first on the include path): the hot path's
// translation units must not reach a JSON library, and any include of it, however
// indirect, stops the build here.
#error "dataplane/ must not include nlohmann/json.hpp (directly or through a header)"
