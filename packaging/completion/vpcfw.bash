# bash completion for vpcfw: commands, each command's options, and the ENI ids and Name
# tags of the network given on the command line (--network NET / -n NET) after --from and
# --eni. The words come from the program (`vpcfw complete ...`, the same texts as --help),
# so they follow its options. Installed as /usr/share/bash-completion/completions/vpcfw;
# or `source` this file.
_vpcfw() {
    local cur prev cmd net i words
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local exe="${COMP_WORDS[0]}"
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        words=$("$exe" complete commands 2>/dev/null)
        COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
        return 0
    fi
    cmd="${COMP_WORDS[1]}"
    net=""
    for ((i = 2; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --network|-n) net="${COMP_WORDS[i+1]}" ;;
            --network=*) net="${COMP_WORDS[i]#--network=}" ;;
        esac
    done
    case "$prev" in
        --from|--eni)
            [ -n "$net" ] || return 0
            words=$("$exe" complete enis "$net" 2>/dev/null)
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
            return 0 ;;
        --network|-n|--pcap|-r|--decisions|--flow-logs|--accepted|--dropped|--summary-json|--capture|--out|--control|--hits)
            compopt -o default 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0 ;;
    esac
    if [[ "$cur" == -* ]]; then
        words=$("$exe" complete options "$cmd" 2>/dev/null)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return 0
    fi
    compopt -o default 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _vpcfw vpcfw
