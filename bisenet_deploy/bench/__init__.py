"""bisenet_deploy.bench"""
