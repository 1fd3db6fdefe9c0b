// Brings cdktf's jest matcher types into every test file.
import 'cdktf/lib/testing/adapters/jest';
