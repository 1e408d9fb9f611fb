print("faas")
