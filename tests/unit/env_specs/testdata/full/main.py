print("full")
