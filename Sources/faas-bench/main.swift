print("faas-bench")
