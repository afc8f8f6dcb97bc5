# corpus copy of gillus/DVC_Python_Biella@ac09d495467f model/__init__.py (no license file; excerpt for tests)
