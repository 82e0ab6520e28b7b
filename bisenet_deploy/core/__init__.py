"""bisenet_deploy.core"""
