// aileron: load config -> register the built-in kinds -> build the Entrypoint -> run it.
#include <aileron/cli.hpp>
#include <aileron/registry/registry.hpp>

int main(int argc, char** argv) {
    aileron::registry reg;
    aileron::register_builtins(reg);
    return aileron::run_cli(argc, argv, reg);
}
