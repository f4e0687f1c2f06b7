from kubectl_sidecars.entry import main

main()
