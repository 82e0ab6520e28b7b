"""bisenet_deploy.evaluate"""
