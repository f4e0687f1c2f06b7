from kubectl_sidecars.cli import main

main()
