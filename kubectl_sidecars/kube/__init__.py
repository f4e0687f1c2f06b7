"""The only package that talks to a cluster: kubeconfig in, raw JSON pages out.

The kubernetes client is imported here and nowhere else, and only when a live read starts."""
