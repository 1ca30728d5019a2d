print("egressgw")
